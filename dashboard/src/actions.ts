import { createContext } from 'preact';
import { useContext } from 'preact/hooks';

export interface ToastMessage {
  kind: 'ok' | 'error';
  text: string;
  /** A link the message offers, such as the task a trigger submitted. */
  href?: string;
  linkText?: string;
}

/** An action the user must confirm: a question, then the call, then a message. */
export interface ActionRequest {
  title: string;
  body: string;
  confirmLabel: string;
  danger?: boolean;
  /** Performs the call; its value is the success message. Throwing shows the error. */
  run: () => Promise<string | ToastMessage>;
  /** After success: refresh what the action changed. */
  onDone?: () => void;
}

export interface Actions {
  confirm: (req: ActionRequest) => void;
  toast: (msg: ToastMessage) => void;
}

export const ActionsContext = createContext<Actions>({ confirm: () => undefined, toast: () => undefined });

export function useActions(): Actions {
  return useContext(ActionsContext);
}
