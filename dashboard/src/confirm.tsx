import { useEffect, useRef, useState } from 'preact/hooks';
import type { ActionRequest, ToastMessage } from './actions';
import { errorMessage } from './api';

interface Props {
  req: ActionRequest;
  onClose: () => void;
  onResult: (msg: ToastMessage) => void;
}

/**
 * The confirmation every action goes through. A native modal <dialog> gives focus
 * trapping, Escape and an inert page behind it without any code of ours.
 */
export function ConfirmDialog({ req, onClose, onResult }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  const busyRef = useRef(false);

  useEffect(() => {
    const el = ref.current;
    if (el && !el.open) el.showModal();
    return () => el?.close();
  }, []);

  const cancel = (): void => {
    if (!busyRef.current) onClose();
  };

  const confirm = async (): Promise<void> => {
    if (busyRef.current) return;
    busyRef.current = true;
    setBusy(true);
    try {
      const out = await req.run();
      onResult(typeof out === 'string' ? { kind: 'ok', text: out } : out);
      onClose();
      req.onDone?.();
    } catch (err) {
      onResult({ kind: 'error', text: errorMessage(err) });
      onClose();
    }
  };

  return (
    <dialog
      ref={ref}
      class="confirm"
      data-testid="confirm-dialog"
      aria-labelledby="confirm-title"
      onCancel={(e) => {
        e.preventDefault(); // Escape: closed by us, so that a running call is not orphaned
        cancel();
      }}
    >
      <h2 id="confirm-title">{req.title}</h2>
      <p>{req.body}</p>
      <div class="buttons">
        <button type="button" data-testid="confirm-cancel" onClick={cancel} disabled={busy}>
          Go back
        </button>
        <button
          type="button"
          class={req.danger ? 'danger' : 'primary'}
          data-testid="confirm-ok"
          onClick={() => void confirm()}
          disabled={busy}
        >
          {busy ? 'Working…' : req.confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
