//! A file message's body: a picture's preview (a button that opens the viewer) or a file's type
//! badge, its name, type and size, and the way to get it — a plain download link in a browser,
//! Download → progress → Open / Show in folder in the window (through the Rust client). The
//! host's links are loaded only through `app.fileUrl`, which refuses anything but a path on the
//! server we are connected to.

import { attachmentLink, formatSize, previewBox, showsInline, typeLabel } from '../chat/files';
import type { DownloadView } from '../chat/transfers';
import type { FileMeta } from '../generated/protocol';
import { errorText } from '../i18n';
import { useApp } from './context';
import { Icon } from './Icon';

/** "PNG", "48.2 KB" (and "640 x 480" for pictures). */
export function fileMeta(f: FileMeta): string[] {
  const parts = [typeLabel(f.mime, f.name), formatSize(f.size)];
  if (f.width && f.height) parts.push(`${f.width} x ${f.height}`);
  return parts;
}

/** Parts of a line, each kept whole ("119.0 KB/s" never breaks), wrapping between them. */
export function Parts({ parts }: { parts: string[] }) {
  return (
    <>
      {parts.map((p, i) => (
        <span class="part" key={i}>
          {i > 0 ? ' · ' : ''}
          {p}
        </span>
      ))}
    </>
  );
}

interface CardProps {
  messageId: string;
  file: FileMeta;
  download?: DownloadView;
  /** Opens the viewer; the element is where the focus goes back to when it closes. */
  onView: (messageId: string, opener: HTMLElement) => void;
}

export function FileCard({ messageId, file, download, onView }: CardProps) {
  const app = useApp();
  const { t } = app;
  const thumb = showsInline(file) ? app.fileUrl(file.thumbUrl!) : null;
  const box = previewBox(file.width ?? 0, file.height ?? 0);
  return (
    <div class={thumb ? 'file-card file-card-image' : 'file-card'} data-testid="file-card" data-mime={file.mime}>
      {thumb && (
        <button
          type="button"
          class="file-thumb"
          data-testid="file-thumb"
          aria-label={t('files.view', { name: file.name })}
          onClick={(e) => onView(messageId, e.currentTarget)}
        >
          {/* width/height reserve the picture's space before it loads, so the log does not jump. */}
          <img src={thumb} width={box.width} height={box.height} alt="" decoding="async" loading="lazy" />
        </button>
      )}
      <div class="file-row">
        {!thumb && (
          <span class="file-badge" aria-hidden="true">
            <Icon name="file" />
            <span class="file-badge-type">{typeLabel(file.mime, file.name)}</span>
          </span>
        )}
        <div class="file-info">
          <span class="file-name" data-testid="file-name">
            {file.name}
          </span>
          <span class="file-meta" data-testid="file-meta">
            <Parts parts={fileMeta(file)} />
          </span>
        </div>
        <GetFile messageId={messageId} file={file} download={download} />
      </div>
      {download?.status === 'saving' && <SaveProgress file={file} download={download} />}
      {download?.status === 'failed' && (
        <p class="file-error" data-testid="file-error" data-code={download.error?.code}>
          {t('files.saveFailed', { reason: errorText(t, download.error?.code ?? 'unknown', download.error?.message) })}
        </p>
      )}
    </div>
  );
}

/** The download link (browser) or button and what follows it (window). */
export function GetFile({ messageId, file, download }: { messageId: string; file: FileMeta; download?: DownloadView }) {
  const app = useApp();
  const { t } = app;
  const dl = app.transport.downloads;
  if (!dl) {
    const href = app.fileUrl(attachmentLink(file.url));
    if (!href) return null;
    return (
      <a
        class="btn btn-small file-action"
        data-testid="file-download"
        href={href}
        download={file.name}
        aria-label={t('files.downloadLabel', { name: file.name })}
      >
        <Icon name="download" />
        <span class="file-action-label">{t('files.download')}</span>
      </a>
    );
  }
  if (download?.status === 'saved' && download.path) {
    const path = download.path;
    return (
      <span class="file-actions" data-testid="file-saved" data-path={path}>
        <button
          type="button"
          class="btn btn-small file-action"
          data-testid="file-open"
          aria-label={t('files.openLabel', { name: file.name })}
          onClick={() => dl.open(path).catch((e) => app.report(e))}
        >
          <Icon name="open" />
          <span class="file-action-label">{t('files.open')}</span>
        </button>
        <button
          type="button"
          class="btn btn-small file-action"
          data-testid="file-reveal"
          aria-label={t('files.revealLabel', { name: file.name })}
          onClick={() => dl.reveal(path).catch((e) => app.report(e))}
        >
          <Icon name="folder" />
          <span class="file-action-label">{t('files.reveal')}</span>
        </button>
      </span>
    );
  }
  return (
    <button
      type="button"
      class="btn btn-small file-action"
      data-testid="file-download"
      aria-label={t(download?.status === 'failed' ? 'files.retryLabel' : 'files.downloadLabel', { name: file.name })}
      disabled={download?.status === 'saving'}
      onClick={() => void app.files.download(messageId, file)}
    >
      <Icon name="download" />
      <span class="file-action-label">{download?.status === 'failed' ? t('files.retry') : t('files.download')}</span>
    </button>
  );
}

function SaveProgress({ file, download }: { file: FileMeta; download: DownloadView }) {
  const { t } = useApp();
  const total = download.total || file.size;
  const percent = total > 0 ? Math.floor((download.received / total) * 100) : 0;
  return (
    // Not read out at every percent (the log around it is a live region).
    <div class="file-saving" aria-live="off">
      <div
        class="progress"
        role="progressbar"
        data-testid="file-progress"
        aria-label={t('files.savingLabel', { name: file.name })}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
      >
        <span class="progress-fill" style={{ width: `${percent}%` }} />
      </div>
      <span class="file-meta">{t('files.saving', { percent })}</span>
    </div>
  );
}
