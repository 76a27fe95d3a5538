//! A picture at full size, over the chat: a modal `<dialog>` (focus stays inside, Escape
//! closes), with the name, size and the way to get the file. MessageList puts the focus back on
//! the preview that opened it.

import { useEffect, useRef } from 'preact/hooks';
import type { FileMeta } from '../generated/protocol';
import { useApp } from './context';
import { fileMeta, GetFile, Parts } from './FileCard';
import { Icon } from './Icon';
import type { DownloadView } from '../chat/transfers';

interface Props {
  messageId: string;
  file: FileMeta;
  sender: string;
  download?: DownloadView;
  onClose: () => void;
}

export function ImageViewer({ messageId, file, sender, download, onClose }: Props) {
  const app = useApp();
  const { t } = app;
  const dialog = useRef<HTMLDialogElement>(null);
  const src = app.fileUrl(file.url);

  useEffect(() => {
    const d = dialog.current;
    if (d && !d.open) d.showModal();
    return () => d?.open && d.close();
  }, []);

  return (
    <dialog
      ref={dialog}
      class="viewer"
      data-testid="viewer"
      aria-labelledby="viewer-title"
      aria-describedby="viewer-meta"
      onClose={onClose}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
      // A click on the dimmed area around the picture (the dialog itself) closes it.
      onClick={(e) => {
        if (e.target === e.currentTarget) onClose();
      }}
    >
      <header class="viewer-head">
        <div class="viewer-titles">
          <h2 class="viewer-title" id="viewer-title">
            {file.name}
          </h2>
          <span class="viewer-meta" id="viewer-meta">
            <Parts parts={[sender, ...fileMeta(file)]} />
          </span>
        </div>
        <GetFile messageId={messageId} file={file} download={download} />
        <button type="button" class="icon-btn dialog-close" data-testid="viewer-close" aria-label={t('common.close')} onClick={onClose}>
          <Icon name="close" />
        </button>
      </header>
      <div class="viewer-body">
        {src && (
          <img
            data-testid="viewer-image"
            src={src}
            alt={t('files.image', { width: file.width ?? '?', height: file.height ?? '?' })}
            width={file.width}
            height={file.height}
          />
        )}
      </div>
    </dialog>
  );
}
