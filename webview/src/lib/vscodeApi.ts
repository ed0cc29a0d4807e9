/** The typed handle a webview gets to talk to its host. `acquireVsCodeApi` may be called once per page. */
export interface VsCodeApi<ToHost, State = unknown> {
  postMessage(message: ToHost): void;
  getState(): State | undefined;
  setState(state: State): void;
}

declare function acquireVsCodeApi<ToHost, State>(): VsCodeApi<ToHost, State>;

export function connectToHost<ToHost, State = unknown>(): VsCodeApi<ToHost, State> {
  return acquireVsCodeApi<ToHost, State>();
}

/** Builds an element with text content only: untrusted text never becomes markup. */
export function element<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  for (const child of children) node.append(child);
  return node;
}
