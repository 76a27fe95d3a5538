//! Files that reach the room other than by the paperclip: dragged onto it (with a visible drop
//! zone while they hover) or pasted (a screenshot on the clipboard becomes an image named
//! `screenshot-…png`). A file dropped anywhere else on the page is ignored instead of replacing
//! the chat with the browser's view of that file.

import { useEffect, useRef, useState } from 'preact/hooks';
import { pastedName } from '../chat/files';

const carriesFiles = (e: DragEvent) => Array.from(e.dataTransfer?.types ?? []).includes('Files');

/**
 * The files a paste carries, named for sending; none when the clipboard also holds text. Office
 * apps put a picture of the copied text next to the text itself: that paste is the text.
 */
export function pastedFiles(data: DataTransfer | null, now: Date): File[] {
  if (!data || data.files.length === 0) return [];
  if (data.getData('text/plain').trim() !== '') return [];
  return Array.from(data.files, (f) => {
    const name = pastedName(f, now);
    return name === f.name ? f : new File([f], name, { type: f.type, lastModified: f.lastModified });
  });
}

export interface DropTarget {
  /** Files are being dragged over the target: show the drop zone. */
  dragging: boolean;
  onDragEnter: (e: DragEvent) => void;
  onDragOver: (e: DragEvent) => void;
  onDragLeave: (e: DragEvent) => void;
  onDrop: (e: DragEvent) => void;
}

/** Drag-and-drop of files onto one element; `enabled` false refuses drops (the room is not live). */
export function useFileDrop(enabled: boolean, onFiles: (files: File[]) => void): DropTarget {
  const [dragging, setDragging] = useState(false);
  // dragenter/dragleave fire for every child the pointer crosses: count them.
  const depth = useRef(0);
  useEffect(() => {
    if (!enabled) {
      depth.current = 0;
      setDragging(false);
    }
  }, [enabled]);
  return {
    dragging: dragging && enabled,
    onDragEnter: (e) => {
      if (!carriesFiles(e)) return;
      e.preventDefault();
      depth.current += 1;
      setDragging(true);
    },
    onDragOver: (e) => {
      if (!carriesFiles(e)) return;
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = enabled ? 'copy' : 'none';
    },
    onDragLeave: (e) => {
      if (!carriesFiles(e)) return;
      depth.current = Math.max(0, depth.current - 1);
      if (depth.current === 0) setDragging(false);
    },
    onDrop: (e) => {
      if (!carriesFiles(e) && !(e.dataTransfer?.files.length)) return;
      e.preventDefault();
      depth.current = 0;
      setDragging(false);
      const files = Array.from(e.dataTransfer?.files ?? []);
      if (enabled && files.length > 0) onFiles(files);
    },
  };
}

/** While mounted, a file dropped outside a drop target does nothing (no navigation to it). */
export function useIgnoreStrayDrops(): void {
  useEffect(() => {
    const stop = (e: DragEvent) => {
      if (!e.defaultPrevented && carriesFiles(e)) {
        e.preventDefault();
        if (e.dataTransfer) e.dataTransfer.dropEffect = 'none';
      }
    };
    document.addEventListener('dragover', stop);
    document.addEventListener('drop', stop);
    return () => {
      document.removeEventListener('dragover', stop);
      document.removeEventListener('drop', stop);
    };
  }, []);
}
