"""The report's stylesheet: system fonts only (no web fonts), every rule scoped under
``.cm`` so a notebook's own styles are untouched; a phone layout (tables stack, charts
scale) and print rules (no scrolling wrappers, rows kept whole, link targets printed)."""

CSS = """
.cm{--ink:#1b1f24;--mute:#57606a;--line:#d0d7de;--soft:#f6f8fa;--acc:#0969da;
 --ok:#1a7f37;--warn:#9a6700;--bad:#cf222e;--claim:#cf222e;
 font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
 color:var(--ink);max-width:76rem;margin:0 auto;padding:1rem;overflow-wrap:break-word}
.cm *{box-sizing:border-box}
.cm h1{font-size:1.5rem;line-height:1.25;margin:.2rem 0 .6rem}
.cm h2{font-size:1.2rem;margin:2rem 0 .6rem;padding-bottom:.25rem;
 border-bottom:1px solid var(--line)}
.cm h3{font-size:1rem;margin:1.2rem 0 .4rem}
.cm p,.cm li{max-width:48rem}
.cm a{color:var(--acc)}
.cm code,.cm pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85em}
.cm pre{background:var(--soft);padding:.6rem;border-radius:6px;white-space:pre-wrap;
 overflow-wrap:anywhere}
.cm .tw{overflow-x:auto;margin:.5rem 0 1rem;max-width:100%}
.cm table{border-collapse:collapse;font-size:.9rem;font-variant-numeric:tabular-nums}
.cm th,.cm td{border-bottom:1px solid var(--line);padding:.3rem .55rem;text-align:left;
 vertical-align:top}
.cm th{background:var(--soft);font-weight:600}
.cm td.n,.cm th.n{text-align:right}
.cm td.n{white-space:nowrap}
.cm table.kv td:first-child{color:var(--mute);white-space:nowrap}
.cm td .tw{margin:0}
.cm .verdict{border:2px solid var(--line);border-radius:10px;padding:1rem 1.2rem;margin:1rem 0;
 background:var(--soft)}
.cm .verdict .badge{display:inline-block;font-weight:700;letter-spacing:.04em;color:#fff;
 padding:.15rem .6rem;border-radius:4px;margin-right:.5rem;background:var(--mute)}
.cm .v-consistent{border-color:var(--ok)} .cm .v-consistent .badge{background:var(--ok)}
.cm .v-optimistic{border-color:var(--warn)} .cm .v-optimistic .badge{background:var(--warn)}
.cm .v-implausible{border-color:var(--bad)} .cm .v-implausible .badge{background:var(--bad)}
.cm .verdict .big{font-size:1.15rem;font-weight:600;margin:.4rem 0}
.cm .headline{font-size:1.15rem;font-weight:600;margin:.4rem 0 .8rem;max-width:48rem}
.cm .note{border-left:4px solid var(--warn);background:#fff8c5;padding:.5rem .8rem;margin:.8rem 0}
.cm blockquote{margin:.6rem 0;padding:.4rem 1rem;border-left:4px solid var(--line);color:#24292f;
 background:var(--soft)}
.cm .ok{color:var(--ok);font-weight:600} .cm .bad{color:var(--bad);font-weight:700}
.cm figure{margin:.8rem 0 1.2rem}
.cm figure svg{display:block;width:100%;height:auto;max-width:40rem}
.cm figcaption{color:var(--mute);font-size:.85rem;max-width:40rem}
.cm .muted{color:var(--mute)}
.cm ol.src li{margin:.2rem 0}
.cm footer{margin-top:2.5rem;border-top:1px solid var(--line);padding-top:.6rem;color:var(--mute);
 font-size:.85rem}
.cm nav ol{columns:2 14rem;padding-left:1.2rem;margin:.3rem 0}
@media (max-width:600px){.cm{font-size:14px;padding:.7rem}.cm h1{font-size:1.25rem}
 .cm table{font-size:.8rem}
 .cm table.stack,.cm table.stack tbody,.cm table.stack tr,.cm table.stack td{display:block;
  width:100%}
 .cm table.stack thead{display:none}
 .cm table.stack tr{border-bottom:2px solid var(--line);padding:.35rem 0}
 .cm table.stack td{border:0;padding:.1rem .3rem;text-align:left;white-space:normal}
 .cm table.stack td[data-label]{display:flex;gap:.5rem}
 .cm table.stack td[data-label]::before{content:attr(data-label);flex:0 0 7.6rem;
  color:var(--mute);font-size:.9em}
 .cm table.stack td .v{flex:1 1 auto;min-width:0}}
@media print{
 @page{margin:14mm 12mm}
 .cm{max-width:none;padding:0;font-size:10pt}
 .cm .tw{overflow:visible}
 .cm table{width:100%;font-size:8pt;page-break-inside:auto}
 .cm td,.cm th{padding:.15rem .3rem}
 .cm td.n,.cm th.n{white-space:normal}
 .cm tr,.cm figure,.cm .verdict,.cm blockquote{break-inside:avoid}
 .cm h2,.cm h3{break-after:avoid}
 .cm nav{display:none}
 .cm ol.src a::after{content:" <" attr(href) ">";color:var(--mute)}
}
"""
