/** Markdown imported as text (`with { type: "text" }`): bun embeds it, also in the compiled binary. */
declare module "*.md" {
  const text: string;
  export default text;
}
