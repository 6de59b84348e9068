import { useEffect } from 'preact/hooks';
import type { ToastMessage } from './actions';

/** The outcome of the last action; errors stay longer, since they need reading. */
export function Toast({ msg, onDismiss }: { msg: ToastMessage & { seq: number }; onDismiss: () => void }) {
  useEffect(() => {
    const t = setTimeout(onDismiss, msg.kind === 'error' ? 12_000 : 5000);
    return () => clearTimeout(t);
  }, [msg.seq]);
  return (
    <div class={`toast ${msg.kind}`} role={msg.kind === 'error' ? 'alert' : 'status'}>
      <span data-testid="toast">{msg.text}</span>
      {msg.href && (
        <a href={msg.href} onClick={onDismiss}>
          {msg.linkText ?? 'Open'}
        </a>
      )}
      <button type="button" class="close" aria-label="Dismiss" onClick={onDismiss}>
        ×
      </button>
    </div>
  );
}
