import { BoxRenderable, type CliRenderer, TextRenderable } from "@opentui/core";
import { helpText } from "./help.ts";
import { COLORS } from "./style.ts";

/** The frame: header, insights, (list | detail), footer, and the help overlay above them. */
export const buildLayout = (renderer: CliRenderer) => {
  const root = new BoxRenderable(renderer, { id: "dashboard", flexDirection: "column", flexGrow: 1 });
  const header = new TextRenderable(renderer, { id: "header", height: 1, wrapMode: "none", truncate: true });
  const insightsBox = new BoxRenderable(renderer, { id: "insights", border: true, title: "Queue insights" });
  const insights = new TextRenderable(renderer, { id: "insights-text", wrapMode: "none", truncate: true });
  const body = new BoxRenderable(renderer, { id: "body", flexDirection: "row", flexGrow: 1 });
  const listBox = new BoxRenderable(renderer, { id: "list", border: true, width: "50%" });
  const listText = new TextRenderable(renderer, { id: "list-text", wrapMode: "none", selectable: true });
  const detailBox = new BoxRenderable(renderer, { id: "detail", border: true, title: "Detail", flexGrow: 1 });
  const detailText = new TextRenderable(renderer, { id: "detail-text", wrapMode: "none", selectable: true });
  const footer = new TextRenderable(renderer, { id: "footer", height: 1, wrapMode: "none", truncate: true });
  const help = new BoxRenderable(renderer, {
    id: "help",
    position: "absolute",
    top: 0,
    left: 0,
    width: "100%",
    height: "100%",
    zIndex: 10,
    border: true,
    title: "Help (any key closes)",
    backgroundColor: COLORS.overlayBg,
    visible: false,
  });
  help.add(
    new TextRenderable(renderer, { id: "help-text", content: helpText().join("\n"), wrapMode: "none" }),
  );
  insightsBox.add(insights);
  listBox.add(listText);
  detailBox.add(detailText);
  body.add(listBox);
  body.add(detailBox);
  root.add(header);
  root.add(insightsBox);
  root.add(body);
  root.add(footer);
  renderer.root.add(root);
  renderer.root.add(help);
  return { header, insightsBox, insights, listBox, listText, detailBox, detailText, footer, help };
};
