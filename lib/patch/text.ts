import { fail } from "./codes.ts";
import { printable } from "./paths.ts";

// ignoreBOM keeps a byte-order mark in the text, so it survives the round trip.
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Decodes a file's bytes; a NUL byte or invalid UTF-8 marks it binary, which is refused. */
export const decodeText = (bytes: Uint8Array, path: string): string => {
  if (bytes.includes(0)) {
    throw fail("E_BINARY", `'${printable(path)}' holds a NUL byte (binary file)`, {
      hint: "Hyperion patches UTF-8 text files only",
      details: { path },
    });
  }
  try {
    return decoder.decode(bytes);
  } catch {
    throw fail("E_BINARY", `'${printable(path)}' is not valid UTF-8`, { details: { path } });
  }
};

/** Patch text must be encodable as UTF-8 exactly: no lone surrogates, no NUL. */
export const checkPatchText = (patch: string, path: string): void => {
  if (!patch.isWellFormed() || patch.includes("\0")) {
    throw fail("E_BINARY", `the patch for '${printable(path)}' is not UTF-8 text`, {
      hint: "binary patches are refused",
      details: { path },
    });
  }
};

/** Splits text into lines that keep their terminators, so joining gives the text back. */
export const splitLines = (text: string): string[] => {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    const j = text.indexOf("\n", i);
    if (j < 0) {
      out.push(text.slice(i));
      break;
    }
    out.push(text.slice(i, j + 1));
    i = j + 1;
  }
  return out;
};
