import { usageError } from "../errors.ts";
import type { Edit } from "../schema/index.ts";

/** Reads a file of the tree as it stands: its text, or null when absent. */
export type FileReader = (path: string) => string | null;

const count = (text: string, find: string): number => {
  let n = 0;
  for (let at = text.indexOf(find); at !== -1; at = text.indexOf(find, at + find.length)) n++;
  return n;
};

/**
 * Plays edits in order over a view of the tree and returns the final content of every path they
 * touch (null: absent afterwards). The same code checks a request up front and drives the stub
 * developer, so a request the check accepts is one the stub can carry out.
 */
export const applyEdits = (
  edits: readonly Edit[],
  read: FileReader,
  where = "edits",
): Map<string, string | null> => {
  const view = new Map<string, string | null>();
  const current = (path: string) => (view.has(path) ? view.get(path)! : read(path));
  edits.forEach((edit, i) => {
    const at = `${where}[${i}]`;
    const missing = () =>
      usageError(
        "E_EDIT_MISSING",
        `${at}: ${edit.op} ${edit.path}: the file does not exist`,
        "check the path, or create it first",
      );
    switch (edit.op) {
      case "create": {
        if (current(edit.path) !== null)
          throw usageError(
            "E_EDIT_EXISTS",
            `${at}: create ${edit.path}: the file already exists`,
            "use op 'modify' to change it",
          );
        view.set(edit.path, edit.content);
        return;
      }
      case "modify": {
        let text = current(edit.path);
        if (text === null) throw missing();
        if (edit.content !== undefined) text = edit.content;
        for (const [j, r] of (edit.replace ?? []).entries()) {
          const n = count(text, r.find);
          const field = `${at}.replace[${j}].find`;
          if (n === 0)
            throw usageError(
              "E_EDIT_FIND",
              `${field}: not found in ${edit.path}`,
              "quote the file's text exactly",
            );
          if (n > 1 && !r.all)
            throw usageError(
              "E_EDIT_FIND",
              `${field}: found ${n} times in ${edit.path}`,
              'add surrounding text to make it unique, or set "all": true',
            );
          text = r.all ? text.split(r.find).join(r.replace) : text.replace(r.find, () => r.replace);
        }
        view.set(edit.path, text);
        return;
      }
      case "delete": {
        if (current(edit.path) === null) throw missing();
        view.set(edit.path, null);
        return;
      }
      case "rename": {
        const text = current(edit.path);
        if (text === null) throw missing();
        if (edit.new_path === edit.path)
          throw usageError(
            "E_EDIT_INVALID",
            `${at}: rename ${edit.path}: new_path is the same path`,
            "name a different target",
          );
        if (current(edit.new_path) !== null)
          throw usageError(
            "E_EDIT_EXISTS",
            `${at}: rename ${edit.path} -> ${edit.new_path}: the target already exists`,
            "delete the target first or choose another name",
          );
        view.set(edit.path, null);
        view.set(edit.new_path, edit.content ?? text);
        return;
      }
    }
  });
  return view;
};

/** Every path an edit touches (both ends of a rename). */
export const editPaths = (edit: Edit): string[] =>
  edit.op === "rename" ? [edit.path, edit.new_path] : [edit.path];
