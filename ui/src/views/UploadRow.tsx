//! One of our uploads in the room, for us only: name, a progress bar, how much and how fast,
//! Cancel; a refusal in words with Retry and Remove. The row goes when the host's file message
//! arrives (everyone, us included, sees that message instead).

import { formatSize, formatSpeed, typeLabel } from '../chat/files';
import { fraction, secondsLeft, type UploadView } from '../chat/transfers';
import { errorText, type Translate } from '../i18n';
import { Avatar } from './Avatar';
import { useApp } from './context';
import { Parts } from './FileCard';
import { Icon } from './Icon';

function statusText(u: UploadView, t: Translate): string {
  switch (u.status) {
    case 'queued':
      return t('files.waiting');
    case 'preparing':
      return t('files.preparing');
    case 'sending':
      return t('files.uploading');
    case 'done':
      return t('files.posting');
    case 'failed':
      return t('files.notSent');
  }
}

/** Refusals that another try cannot change: no Retry for them. */
const FINAL = new Set(['file_too_large', 'files_disabled']);

/** "12.3 MB of 48.2 MB", "5.1 MB/s", "8 s left". */
function detail(u: UploadView, t: Translate): string[] {
  const parts = [t('files.progress', { done: formatSize(u.sent), total: formatSize(u.size) })];
  if ((u.status === 'sending' || u.status === 'preparing') && u.speed) {
    parts.push(formatSpeed(u.speed));
    const left = secondsLeft(u);
    if (left !== null && left >= 1) {
      parts.push(left < 90 ? t('files.secondsLeft', { n: Math.ceil(left) }) : t('files.minutesLeft', { n: Math.ceil(left / 60) }));
    }
  }
  return parts;
}


export function UploadRow({ u, room, nickName }: { u: UploadView; room: string; nickName: string }) {
  const app = useApp();
  const { t } = app;
  const failed = u.status === 'failed';
  // Before the first byte is measured (waiting, asking for a ticket) the bar has no value: an
  // indeterminate progress bar. The window's staging ("Preparing…") has one.
  const known = u.status === 'sending' || u.status === 'done' || (u.status === 'preparing' && u.sent > 0);
  const percent = Math.floor(fraction(u) * 100);
  return (
    <li
      class={`msg own upload upload-${u.status}`}
      data-testid="upload"
      data-status={u.status}
      data-name={u.name}
      data-code={u.error?.code}
    >
      <Avatar nick={nickName} />
      <div class="msg-main">
        <div class="msg-head">
          <span class="msg-nick">{nickName}</span>
          <span class="msg-status" data-testid="upload-status">
            {statusText(u, t)}
          </span>
        </div>
        <div class="file-card upload-card">
          <div class="file-row">
            <span class="file-badge" aria-hidden="true">
              <Icon name="file" />
              <span class="file-badge-type">{typeLabel(u.mime, u.name)}</span>
            </span>
            <div class="file-info">
              <span class="file-name">{u.name}</span>
              {!failed && (
                // aria-live off: the log around it is a live region, and a bar and a speed that
                // change five times a second would be read out without end.
                <div
                  class={known ? 'progress' : 'progress progress-busy'}
                  aria-live="off"
                  role="progressbar"
                  data-testid="upload-progress"
                  aria-label={t('files.uploadLabel', { name: u.name })}
                  aria-valuemin={0}
                  aria-valuemax={100}
                  aria-valuenow={known ? percent : undefined}
                  aria-valuetext={known ? `${percent}% · ${detail(u, t).join(' · ')}` : statusText(u, t)}
                >
                  <span class="progress-fill" style={known ? { width: `${percent}%` } : undefined} />
                </div>
              )}
              <span class="file-meta" data-testid="upload-detail" aria-live="off">
                {failed ? formatSize(u.size) : <Parts parts={detail(u, t)} />}
              </span>
              {failed && (
                <span class="file-error" data-testid="upload-error">
                  {errorText(t, u.error?.code ?? 'unknown', u.error?.message)}
                </span>
              )}
            </div>
            {failed ? (
              <span class="file-actions">
                {!FINAL.has(u.error?.code ?? '') && (
                  <button type="button" class="btn btn-small" data-testid="upload-retry" onClick={() => app.files.retry(room, u.id)}>
                    {t('files.retry')}
                  </button>
                )}
                <button type="button" class="btn btn-small" data-testid="upload-dismiss" onClick={() => app.files.cancel(room, u.id)}>
                  {t('files.remove')}
                </button>
              </span>
            ) : (
              u.status !== 'done' && (
                <button
                  type="button"
                  class="btn btn-small"
                  data-testid="upload-cancel"
                  aria-label={t('files.cancelLabel', { name: u.name })}
                  onClick={() => app.files.cancel(room, u.id)}
                >
                  {t('files.cancel')}
                </button>
              )
            )}
          </div>
        </div>
      </div>
    </li>
  );
}
