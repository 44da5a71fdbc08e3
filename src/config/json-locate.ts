/**
 * Finds the line of a value in JSON text by its path (`['ppp', 'mppe', 'mode']`,
 * `['pools', 0, 'local']`), for error messages. For an object member the line
 * of its key is given. The text is assumed to be valid JSON (JSON.parse
 * accepted it); anything unexpected gives `undefined`.
 */

/** 1-based line of the value at `path`, or `undefined`. */
export function jsonLineOf(text: string, path: readonly PropertyKey[]): number | undefined {
  let i = 0;
  let line = 1;
  const ws = () => {
    while (i < text.length) {
      const c = text[i]!;
      if (c === '\n') line++;
      else if (c !== ' ' && c !== '\t' && c !== '\r') break;
      i++;
    }
  };
  const str = (): string => {
    // at '"'
    i++;
    let out = '';
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') {
        out += text.slice(i, i + 2);
        i += 2;
      } else {
        out += text[i];
        i++;
      }
    }
    i++;
    try {
      return JSON.parse(`"${out}"`) as string;
    } catch {
      return out;
    }
  };
  const skip = (): void => {
    ws();
    const c = text[i];
    if (c === '"') {
      str();
    } else if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      ws();
      if (text[i] === close) {
        i++;
        return;
      }
      for (;;) {
        if (c === '{') {
          ws();
          str();
          ws();
          i++; // ':'
        }
        skip();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        i++; // close
        return;
      }
    } else {
      while (i < text.length && !/[,}\]\s]/.test(text[i]!)) i++;
    }
  };
  // Walk down the path.
  ws();
  let depth = 0;
  let lineOfTarget = line;
  while (depth < path.length) {
    const want = path[depth]!;
    const c = text[i];
    if (c === '{' && typeof want === 'string') {
      i++;
      let found = false;
      for (;;) {
        ws();
        if (text[i] === '}') return undefined;
        const keyLine = line;
        const key = str();
        ws();
        i++; // ':'
        ws();
        if (key === want) {
          lineOfTarget = keyLine;
          found = true;
          break;
        }
        skip();
        ws();
        if (text[i] === ',') i++;
        else return undefined;
      }
      if (!found) return undefined;
    } else if (c === '[' && typeof want === 'number') {
      i++;
      for (let k = 0; ; k++) {
        ws();
        if (text[i] === ']') return undefined;
        if (k === want) {
          lineOfTarget = line;
          break;
        }
        skip();
        ws();
        if (text[i] === ',') i++;
        else return undefined;
      }
    } else {
      return depth === 0 ? undefined : lineOfTarget;
    }
    depth++;
  }
  return lineOfTarget;
}
