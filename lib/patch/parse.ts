import type { StructuredPatch, StructuredPatchHunk } from "diff";
import { fail } from "./codes.ts";
import { printable } from "./paths.ts";

/** One hunk: jsdiff's shape (for relocation) plus both sides as lines with their terminators. */
export type Hunk = StructuredPatchHunk & {
  /** 0-based index of the first old line, or of the insertion point when the old side is empty. */
  pos: number;
  old: string[];
  new: string[];
  header: string;
};

/** One file's unified diff, checked line by line. Names are as written (a/ b/ kept), null for /dev/null. */
export type ParsedPatch = {
  oldName: string | null;
  newName: string | null;
  /** File mode from git's extended headers (`new file mode`, `new mode`), when given. */
  newMode?: number;
  /** git's `copy from`: the new file starts as a copy of this path (a/ b/ never written here). */
  copyFrom?: string;
  hunks: Hunk[];
  added: number;
  removed: number;
  /** The same hunks as jsdiff's StructuredPatch, for offset/fuzz relocation. */
  structured: StructuredPatch;
};

const HUNK = /^@@ -(\d{1,9})(?:,(\d{1,9}))? \+(\d{1,9})(?:,(\d{1,9}))? @@(?: .*)?$/;
// git's extended headers between `diff --git` and `---`; anything else there is refused.
const EXTENDED =
  /^(index [0-9a-f]+\.\.[0-9a-f]+( [0-7]+)?|similarity index \d+%|dissimilarity index \d+%|rename (from|to) .*|copy (from|to) .*|(old|new|new file|deleted file) mode [0-7]+)$/;

/** The dialects accepted, named in every refusal so the writer knows what was expected. */
export const DIALECTS =
  "expected one file's unified diff in git's dialect (`diff --git` with its extended headers, " +
  "or '--- a/path', '+++ b/path' and @@ hunks) or jsdiff's createPatch/formatPatch output " +
  "('Index:' and '====' lines, then '---'/'+++' and @@ hunks)";

const malformed = (path: string, line: number, why: string, details: Record<string, unknown> = {}) =>
  fail("E_HUNK_MALFORMED", `the patch for '${printable(path)}' ${line > 0 ? `line ${line}: ` : ""}${why}`, {
    hint: DIALECTS,
    details: { path, line, ...details },
  });

/** The name both sides of `diff --git a/N b/N` share, when they do (they differ only in a rename or copy). */
const gitLineName = (line: string): string | null => {
  const rest = line.slice("diff --git ".length).replace(/\r$/, "");
  if (rest.startsWith('"')) {
    const m = /^("(?:[^"\\]|\\.)*") ("(?:[^"\\]|\\.)*")$/.exec(rest);
    const a = m ? unquote(m[1]!) : null;
    const b = m ? unquote(m[2]!) : null;
    return a?.startsWith("a/") && b === `b/${a.slice(2)}` ? a.slice(2) : null;
  }
  const n = (rest.length - 5) / 2;
  if (!Number.isInteger(n) || n < 1) return null;
  const name = rest.slice(2, 2 + n);
  return rest === `a/${name} b/${name}` ? name : null;
};

/** What git's extended headers said about the file, for a patch that has no ---/+++ (no hunks). */
type GitHeaders = {
  line: number;
  name: string | null;
  renameFrom?: string;
  renameTo?: string;
  copyFrom?: string;
  copyTo?: string;
  similarity?: number;
  newFile: boolean;
  deleted: boolean;
  modeChange: boolean;
};

/** Git and GNU diff C-quote names with unusual characters: "a/caf\303\251". */
const unquote = (s: string): string | null => {
  if (!s.startsWith('"')) return s;
  const bytes: number[] = [];
  const esc: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, "\\": 92, '"': 34 };
  for (let i = 1; i < s.length; i++) {
    const c = s[i]!;
    if (c === '"') return i === s.length - 1 ? new TextDecoder().decode(new Uint8Array(bytes)) : null;
    if (c !== "\\") {
      bytes.push(...Buffer.from(c));
      continue;
    }
    const n = s[++i];
    if (n === undefined) return null;
    if (/[0-7]/.test(n)) {
      const oct = s.slice(i, i + 3);
      if (!/^[0-7]{3}$/.test(oct)) return null;
      bytes.push(Number.parseInt(oct, 8));
      i += 2;
    } else if (esc[n] !== undefined) bytes.push(esc[n]);
    else return null;
  }
  return null;
};

const headerName = (raw: string): string | null => {
  const name = raw.replace(/\r$/, "").split("\t")[0]!.replace(/\s+$/, "");
  return name === "/dev/null" ? "/dev/null" : unquote(name);
};

const mode = (path: string, line: number, text: string): number => {
  const m = Number.parseInt(text, 8);
  if (m === 0o100644 || m === 0o100755) return m & 0o777;
  if (m === 0o120000 || m === 0o160000) {
    throw fail(
      "E_PATH_FORBIDDEN",
      `the patch for '${printable(path)}' makes a ${m === 0o120000 ? "symlink" : "submodule"}`,
      {
        hint: "only regular files are changed",
        details: { path, line },
      },
    );
  }
  throw malformed(path, line, `unknown file mode ${text}`);
};

/**
 * Parses one file's unified diff strictly: optional git headers, exactly one `---`/`+++` pair,
 * then hunks whose headers and line counts agree, and nothing else. jsdiff's own parser skips
 * unknown text and yields zero hunks for prose or an ed script; this refuses both.
 */
export const parsePatch = (text: string, path: string): ParsedPatch => {
  if (/^GIT binary patch$|^Binary files .* differ$/m.test(text)) {
    throw fail("E_BINARY", `the patch for '${printable(path)}' is a binary patch`, {
      hint: "Hyperion patches UTF-8 text files only",
      details: { path },
    });
  }
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  let i = 0;
  let newMode: number | undefined;
  // jsdiff: createPatch writes 'Index: name' and a '====' rule, createTwoFilesPatch the rule only.
  if (lines[0]?.startsWith("Index: ")) {
    i++;
    if (/^=+\r?$/.test(lines[i] ?? "")) i++;
  } else if (/^={10,}\r?$/.test(lines[0] ?? "")) i++;
  let git: GitHeaders | null = null;
  if (lines[i]?.startsWith("diff --git ")) {
    git = { line: i + 1, name: gitLineName(lines[i]!), newFile: false, deleted: false, modeChange: false };
    for (i++; i < lines.length && !lines[i]!.startsWith("--- "); i++) {
      const l = lines[i]!.replace(/\r$/, "");
      if (!EXTENDED.test(l)) throw malformed(path, i + 1, `unexpected git header '${printable(l)}'`);
      const m = /^(?:new|new file) mode ([0-7]+)$/.exec(l);
      if (m) newMode = mode(path, i + 1, m[1]!);
      if (/^deleted file mode /.test(l)) mode(path, i + 1, l.slice(18));
      if (/^old mode /.test(l)) mode(path, i + 1, l.slice(9));
      if (l.startsWith("new file mode ")) git.newFile = true;
      if (l.startsWith("deleted file mode ")) git.deleted = true;
      if (l.startsWith("new mode ")) git.modeChange = true;
      const sim = /^similarity index (\d+)%$/.exec(l);
      if (sim) git.similarity = Number(sim[1]);
      const named = /^(rename|copy) (from|to) (.*)$/.exec(l);
      if (named) {
        const name = unquote(named[3]!);
        if (name === null) throw malformed(path, i + 1, "has a badly quoted file name");
        const key = `${named[1]}${named[2] === "from" ? "From" : "To"}` as
          | "renameFrom"
          | "renameTo"
          | "copyFrom"
          | "copyTo";
        git[key] = name;
      }
    }
  }
  if (git && i >= lines.length) return headersOnly(path, git, newMode);
  if (!lines[i]?.startsWith("--- ") || !lines[i + 1]?.startsWith("+++ ")) {
    throw malformed(
      path,
      i + 1,
      i === 0 && lines.length === 0 ? "is empty" : "has no '--- '/'+++ ' file headers",
    );
  }
  const oldRaw = headerName(lines[i]!.slice(4));
  const newRaw = headerName(lines[i + 1]!.slice(4));
  if (oldRaw === null || newRaw === null) throw malformed(path, i + 1, "has a badly quoted file name");
  i += 2;

  const hunks: Hunk[] = [];
  let added = 0;
  let removed = 0;
  let prevEnd = 0;
  let eofSeen = false;
  while (i < lines.length) {
    const header = lines[i]!.replace(/\r$/, "");
    const m = HUNK.exec(header);
    if (!m) {
      const why = /^(diff |--- |Index: )/.test(header)
        ? "holds a second file; give one patch per file"
        : `expected an @@ hunk header, found '${printable(header.slice(0, 80))}'`;
      throw malformed(path, i + 1, why);
    }
    if (eofSeen) throw malformed(path, i + 1, "has a hunk after the end-of-file marker");
    const oldLines = m[2] === undefined ? 1 : Number(m[2]);
    const newLines = m[4] === undefined ? 1 : Number(m[4]);
    const oldStart = Number(m[1]);
    const pos = oldLines === 0 ? oldStart : oldStart - 1;
    if (pos < prevEnd || (oldLines > 0 && oldStart === 0)) {
      throw malformed(path, i + 1, "has hunks out of order or overlapping", { header });
    }
    if (oldLines === 0 && newLines === 0) throw malformed(path, i + 1, "has an empty hunk", { header });
    const hunkLine = i + 1;
    i++;
    const raw: string[] = [];
    const oldSide: string[] = [];
    const newSide: string[] = [];
    let oldNoEol = false;
    let newNoEol = false;
    let prev = "";
    while (
      i < lines.length &&
      (oldSide.length < oldLines || newSide.length < newLines || lines[i]!.startsWith("\\"))
    ) {
      let l = lines[i]!;
      // Editors and mail strip the lone space of an empty context line; read it back as context.
      if (l === "" || l === "\r") l = ` ${l}`;
      const op = l[0];
      const body = l.slice(1);
      if (op === "\\") {
        if (prev === "" || prev === "\\")
          throw malformed(path, i + 1, "has a misplaced '\\ No newline' marker");
        if (prev !== "+") oldNoEol = true;
        if (prev !== "-") newNoEol = true;
        const o = oldSide.length - 1;
        const n = newSide.length - 1;
        if (prev !== "+") oldSide[o] = oldSide[o]!.slice(0, -1);
        if (prev !== "-") newSide[n] = newSide[n]!.slice(0, -1);
      } else if (op === " " || op === "-" || op === "+") {
        if ((op !== "+" && oldNoEol) || (op !== "-" && newNoEol)) {
          throw malformed(path, i + 1, "has lines after the end-of-file marker");
        }
        if (op !== "+") oldSide.push(`${body}\n`);
        if (op !== "-") newSide.push(`${body}\n`);
        if (op === "+") added++;
        if (op === "-") removed++;
      } else {
        throw malformed(path, i + 1, `has an invalid hunk line '${printable(l.slice(0, 80))}'`);
      }
      raw.push(l);
      prev = op!;
      i++;
    }
    if (oldSide.length !== oldLines || newSide.length !== newLines) {
      throw malformed(path, hunkLine, "has a hunk whose line counts disagree with its header", {
        header,
        old: [oldSide.length, oldLines],
        new: [newSide.length, newLines],
      });
    }
    eofSeen = oldNoEol || newNoEol;
    hunks.push({
      oldStart: oldLines === 0 ? oldStart + 1 : oldStart,
      oldLines,
      newStart: newLines === 0 ? Number(m[3]) + 1 : Number(m[3]),
      newLines,
      lines: raw,
      pos,
      old: oldSide,
      new: newSide,
      header,
    });
    prevEnd = pos + oldLines;
  }
  const nul = (n: string) => (n === "/dev/null" ? null : n);
  const copyFrom = git?.copyFrom;
  if (copyFrom !== undefined && !namesPath(nul(oldRaw), "a/", copyFrom)) {
    throw malformed(
      path,
      git!.line,
      `copies from '${printable(copyFrom)}' but its '--- ' header names another file`,
    );
  }
  return {
    // A copy's old side is its source (copyFrom); the change itself creates the new file.
    oldName: copyFrom === undefined ? nul(oldRaw) : null,
    newName: nul(newRaw),
    newMode,
    ...(copyFrom === undefined ? {} : { copyFrom }),
    hunks,
    added,
    removed,
    structured: {
      oldFileName: oldRaw,
      newFileName: newRaw,
      oldHeader: undefined,
      newHeader: undefined,
      hunks,
    },
  };
};

/**
 * A git patch of extended headers only (no ---/+++, no hunks): a pure rename or copy
 * (`similarity index 100%`), an empty file created or deleted, or a mode change.
 */
const headersOnly = (path: string, git: GitHeaders, newMode: number | undefined): ParsedPatch => {
  const moved = git.renameFrom !== undefined || git.copyFrom !== undefined;
  if (moved && git.similarity !== undefined && git.similarity !== 100) {
    throw malformed(
      path,
      git.line,
      `moves a file with changes (similarity ${git.similarity}%) but has no hunks`,
    );
  }
  let oldName: string | null;
  let newName: string | null;
  if (git.renameFrom !== undefined || git.renameTo !== undefined) {
    if (git.renameFrom === undefined || git.renameTo === undefined)
      throw malformed(path, git.line, "names only one side of a rename");
    [oldName, newName] = [git.renameFrom, git.renameTo];
  } else if (git.copyFrom !== undefined || git.copyTo !== undefined) {
    if (git.copyFrom === undefined || git.copyTo === undefined)
      throw malformed(path, git.line, "names only one side of a copy");
    [oldName, newName] = [null, git.copyTo];
  } else if (git.name === null) {
    throw malformed(path, git.line, "has a `diff --git` line whose two names differ, and no rename");
  } else if (git.newFile) [oldName, newName] = [null, git.name];
  else if (git.deleted) [oldName, newName] = [git.name, null];
  else if (git.modeChange) [oldName, newName] = [git.name, git.name];
  else throw malformed(path, git.line, "has git headers that change nothing, and no '--- '/'+++ ' or hunks");
  return {
    oldName,
    newName,
    ...(newMode === undefined ? {} : { newMode }),
    ...(git.copyFrom === undefined ? {} : { copyFrom: git.copyFrom }),
    hunks: [],
    added: 0,
    removed: 0,
    structured: {
      oldFileName: oldName ?? "/dev/null",
      newFileName: newName ?? "/dev/null",
      oldHeader: undefined,
      newHeader: undefined,
      hunks: [],
    },
  };
};

/** True when a name from a patch header names `path`, with or without git's `a/` or `b/` prefix. */
export const namesPath = (name: string | null, prefix: "a/" | "b/", path: string): boolean =>
  name === path || name === `${prefix}${path}`;
