// Finds where a JSON path such as $.tests[2].user_prompt sits in a JSON text, so a server-side
// validation error can be shown at the right line of the editor.

export interface Located { from: number; to: number; line: number }

type Segment = string | number;

export function parsePath(path: string): Segment[] {
  const segments: Segment[] = [];
  const re = /\.([A-Za-z0-9_$-]+)|\[(\d+)\]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(path)) !== null) segments.push(m[1] !== undefined ? m[1] : Number(m[2]));
  return segments;
}

/** The span of the value at the path (or of its nearest existing parent); null if the text is not JSON enough to walk. */
export function locate(text: string, path: string): Located | null {
  const segments = parsePath(path);
  let i = 0;
  const ws = () => { while (i < text.length && /\s/.test(text[i])) i++; };
  const lineOf = (offset: number) => text.slice(0, offset).split("\n").length;

  const skipString = () => { i++; while (i < text.length && text[i] !== '"') { if (text[i] === "\\") i++; i++; } i++; };
  const skipValue = (): void => {
    ws();
    const c = text[i];
    if (c === '"') return skipString();
    if (c === "{" || c === "[") {
      const close = c === "{" ? "}" : "]";
      i++;
      ws();
      if (text[i] === close) { i++; return; }
      while (i < text.length) {
        if (c === "{") { ws(); skipString(); ws(); i++; }
        skipValue();
        ws();
        if (text[i] === ",") { i++; continue; }
        i++;
        return;
      }
      return;
    }
    while (i < text.length && !/[,}\]\s]/.test(text[i])) i++;
  };

  ws();
  let start = i;
  for (const segment of segments) {
    ws();
    if (typeof segment === "string") {
      if (text[i] !== "{") break;
      i++;
      let found = false;
      while (i < text.length) {
        ws();
        if (text[i] === "}") break;
        const keyStart = i;
        skipString();
        const key = JSON.parse(text.slice(keyStart, i));
        ws();
        i++; // :
        ws();
        if (key === segment) { start = keyStart; found = true; break; }
        skipValue();
        ws();
        if (text[i] === ",") i++;
      }
      if (!found) break;
      start = Math.min(start, i);
    } else {
      if (text[i] !== "[") break;
      i++;
      let index = 0;
      let found = false;
      while (i < text.length) {
        ws();
        if (text[i] === "]") break;
        if (index === segment) { start = i; found = true; break; }
        skipValue();
        ws();
        if (text[i] === ",") i++;
        index++;
      }
      if (!found) break;
    }
  }
  if (start >= text.length) start = Math.max(0, text.length - 1);
  const lineEnd = text.indexOf("\n", start);
  return { from: start, to: lineEnd < 0 ? text.length : lineEnd, line: lineOf(start) };
}
