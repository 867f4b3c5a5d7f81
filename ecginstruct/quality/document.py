"""A tiny document model rendered to both Markdown and HTML, so the two reports say the same."""

from __future__ import annotations

import html
from dataclasses import dataclass, field


@dataclass
class Doc:
    blocks: list[tuple[str, object]] = field(default_factory=list)

    def h(self, level: int, text: str) -> None:
        self.blocks.append(("h", (level, text)))

    def p(self, text: str) -> None:
        self.blocks.append(("p", text))

    def table(self, head: list[str], rows: list[list[str]]) -> None:
        self.blocks.append(("table", (head, rows)))

    def image(self, path: str, alt: str) -> None:
        self.blocks.append(("img", (path, alt)))

    def pre(self, text: str) -> None:
        self.blocks.append(("pre", text))

    def bullets(self, items: list[str]) -> None:
        self.blocks.append(("ul", items))

    # ----------------------------------------------------------------------------------------

    def markdown(self) -> str:
        out = []
        for kind, v in self.blocks:
            if kind == "h":
                out.append("#" * v[0] + " " + v[1])
            elif kind == "p":
                out.append(v)
            elif kind == "table":
                head, rows = v
                out.append("| " + " | ".join(head) + " |")
                out.append("|" + "---|" * len(head))
                out += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows]
            elif kind == "img":
                out.append(f"![{v[1]}]({v[0]})")
            elif kind == "pre":
                out.append("```\n" + v + "\n```")
            elif kind == "ul":
                out += [f"- {x}" for x in v]
            out.append("")
        return "\n".join(out)

    def html(self, title: str) -> str:
        e = html.escape
        out = [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f"<title>{e(title)}</title>",
            "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
            "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;"
            "text-align:left;vertical-align:top}img{max-width:100%}"
            "pre{background:#f5f5f5;padding:.5em;white-space:pre-wrap}"
            ".pass{color:#070}.fail{color:#b00;font-weight:bold}.skip{color:#888}</style>",
            "</head><body>",
        ]
        for kind, v in self.blocks:
            if kind == "h":
                out.append(f"<h{v[0]}>{e(v[1])}</h{v[0]}>")
            elif kind == "p":
                out.append(f"<p>{e(v)}</p>")
            elif kind == "table":
                head, rows = v
                out.append("<table><tr>" + "".join(f"<th>{e(c)}</th>" for c in head) + "</tr>")
                for r in rows:
                    cells = "".join(
                        f'<td class="{e(c)}">{e(c)}</td>'
                        if c in ("pass", "fail", "skip")
                        else f"<td>{e(c)}</td>"
                        for c in r
                    )
                    out.append(f"<tr>{cells}</tr>")
                out.append("</table>")
            elif kind == "img":
                out.append(f'<p><img src="{e(v[0])}" alt="{e(v[1])}"></p>')
            elif kind == "pre":
                out.append(f"<pre>{e(v)}</pre>")
            elif kind == "ul":
                out.append("<ul>" + "".join(f"<li>{e(x)}</li>" for x in v) + "</ul>")
        out.append("</body></html>")
        return "\n".join(out) + "\n"
