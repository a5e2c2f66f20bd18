/**
 * The report's stylesheet, inlined in the document (no external resources).
 * Every selector is scoped under `.r-report` or prefixed `r-`, so a host page
 * embedding ReportView keeps its own styles. Dark text on a light background;
 * status colours always come with the status written out.
 */
export const REPORT_CSS = `
.r-report{--r-fg:#1a1a1a;--r-muted:#555;--r-line:#d0d4da;--r-bg:#fff;--r-soft:#f5f6f8;
--r-crit:#a4161a;--r-crit-bg:#fde7e7;--r-warn:#7a4d00;--r-warn-bg:#fff3cd;--r-info:#0b4f8a;--r-info-bg:#e3eefa;
--r-ok:#1c6b2a;--r-ok-bg:#e4f4e6;--r-unk:#5a2d82;--r-unk-bg:#efe6f8;
color:var(--r-fg);background:var(--r-bg);font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
max-width:1240px;margin:0 auto;padding:16px;box-sizing:border-box;overflow-wrap:anywhere}
.r-report *,.r-report *::before,.r-report *::after{box-sizing:inherit}
.r-report h1{font-size:1.35rem;margin:0 0 4px}
.r-report h2{font-size:1.15rem;margin:28px 0 10px;padding-bottom:4px;border-bottom:2px solid var(--r-line)}
.r-report h3{font-size:1rem;margin:18px 0 6px}
.r-report p{margin:4px 0}
.r-report code,.r-report pre,.r-mono{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,"DejaVu Sans Mono",monospace;font-size:.86rem}
.r-report a{color:#0b4f8a}
.r-muted{color:var(--r-muted)}
.r-st{display:inline-block;min-width:4.6em;text-align:center;font-weight:700;font-size:.78rem;letter-spacing:.03em;padding:2px 6px;border-radius:4px;border:1px solid currentColor;vertical-align:1px}
.r-st-crit,.r-st-error{color:var(--r-crit);background:var(--r-crit-bg)}
.r-st-warn{color:var(--r-warn);background:var(--r-warn-bg)}
.r-st-info{color:var(--r-info);background:var(--r-info-bg)}
.r-st-ok{color:var(--r-ok);background:var(--r-ok-bg)}
.r-st-unknown{color:var(--r-unk);background:var(--r-unk-bg)}
.r-badge-relay{display:inline-block;background:#c1121f;color:#fff;font-weight:800;font-size:.78rem;letter-spacing:.05em;padding:2px 7px;border-radius:4px;white-space:nowrap}
.r-verdict{border:2px solid var(--r-line);border-left-width:10px;border-radius:6px;padding:12px 16px;margin:0 0 8px}
.r-verdict-crit,.r-verdict-error{border-color:var(--r-crit);background:var(--r-crit-bg)}
.r-verdict-warn{border-color:#c98f00;background:var(--r-warn-bg)}
.r-verdict-ok,.r-verdict-info{border-color:var(--r-ok);background:var(--r-ok-bg)}
.r-verdict-unknown{border-color:var(--r-unk);background:var(--r-unk-bg)}
.r-verdict-line{font-size:1.12rem;font-weight:600;margin:6px 0 2px}
.r-fix{border:2px solid var(--r-line);border-radius:6px;padding:4px 16px 12px}
.r-fix h2{margin-top:10px}
.r-fix ol{list-style:none;margin:0;padding:0}
.r-fix-item{border-left:6px solid var(--r-line);background:var(--r-soft);padding:8px 12px;margin:8px 0;border-radius:0 4px 4px 0;break-inside:avoid}
.r-fix-crit,.r-fix-error{border-left-color:var(--r-crit)}
.r-fix-warn{border-left-color:#c98f00}
.r-fix-info{border-left-color:var(--r-info)}
.r-fix-unknown{border-left-color:var(--r-unk)}
.r-fix-head{display:flex;flex-wrap:wrap;gap:6px 10px;align-items:baseline}
.r-subj{font-weight:700}
.r-subjects{margin:4px 0 0;font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,"DejaVu Sans Mono",monospace;font-size:.86rem;overflow-wrap:anywhere}
.r-subjects .r-subj{font-weight:400}
.r-code{color:var(--r-muted)}
.r-hint{background:#fff;border:1px dashed var(--r-line);border-radius:4px;padding:6px 8px;margin-top:6px!important}
.r-hint-label{font-weight:700}
.r-nothing{font-weight:600;color:var(--r-ok)}
.r-scroll{overflow-x:auto}
.r-table{border-collapse:collapse;width:100%;font-size:.9rem}
.r-table th,.r-table td{border:1px solid var(--r-line);padding:5px 7px;text-align:left;vertical-align:top}
.r-table td{overflow-wrap:normal}
.r-sum{font-size:.84rem}
.r-sum th,.r-sum td{padding:4px 5px}
.r-sum .r-st{min-width:3.6em}
.r-sum th{white-space:normal;vertical-align:bottom}
.r-sum td.r-wrap{min-width:9.8em;overflow-wrap:anywhere}
.r-table th{background:var(--r-soft);font-weight:600;white-space:nowrap}
.r-row-crit td:first-child,.r-row-error td:first-child{box-shadow:inset 5px 0 0 var(--r-crit)}
.r-row-warn td:first-child{box-shadow:inset 5px 0 0 #c98f00}
.r-t-ok{color:var(--r-ok)}
.r-t-warn{color:var(--r-warn);font-weight:600}
.r-t-bad{color:var(--r-crit);font-weight:700}
.r-t-info{color:var(--r-info)}
.r-t-muted{color:var(--r-muted)}
.r-ep{border:1px solid var(--r-line);border-radius:6px;margin:10px 0;background:#fff}
.r-ep[open]{border-color:#9aa3ad}
.r-ep>summary{cursor:pointer;padding:9px 12px;display:flex;flex-wrap:wrap;gap:6px 10px;align-items:center;background:var(--r-soft);border-radius:6px;font-weight:600}
.r-ep[open]>summary{border-bottom:1px solid var(--r-line);border-radius:6px 6px 0 0}
.r-ep-body{padding:4px 14px 14px}
.r-kv{display:grid;grid-template-columns:max-content 1fr;gap:3px 14px;margin:4px 0}
.r-kv dt{color:var(--r-muted)}
.r-kv dd{margin:0}
.r-cols{display:grid;grid-template-columns:1fr 1fr;gap:0 24px}
.r-ext{margin:4px 0;padding-left:18px}
.r-pre{white-space:pre-wrap;word-break:break-all;background:var(--r-soft);border:1px solid var(--r-line);border-radius:4px;padding:6px 8px;margin:4px 0}
.r-transcript{border:1px solid var(--r-line);border-radius:4px;background:#fbfbfc;padding:4px 0;max-height:none}
.r-tl{display:grid;grid-template-columns:5.5em 1.6em 1fr;gap:0 6px;padding:1px 8px;white-space:pre-wrap;word-break:break-all}
.r-tl-c{background:#eef4ff}
.r-tl-c .r-td{color:#0b4f8a;font-weight:700}
.r-tl-s .r-td{color:#1c6b2a;font-weight:700}
.r-tl-e{color:var(--r-muted);font-style:italic}
.r-tt{color:var(--r-muted);text-align:right}
.r-related{border:1px solid var(--r-line);border-radius:4px;padding:6px 10px;margin:6px 0}
.r-related-bad{border-style:dashed}
.r-list{margin:4px 0;padding-left:20px}
.r-dns-target{margin:6px 0}
@media (max-width:720px){
.r-report{padding:10px;font-size:14.5px}
.r-fix{padding:2px 10px 8px}
.r-fix-item{padding:8px 10px}
.r-ep-body{padding:4px 10px 10px}
.r-cols{grid-template-columns:1fr}
.r-kv{grid-template-columns:1fr}
.r-kv dt{margin-top:4px}
.r-table.r-sum thead{display:none}
.r-table.r-sum,.r-table.r-sum tbody,.r-table.r-sum tr,.r-table.r-sum td{display:block;width:100%}
.r-table.r-sum tr{border:1px solid var(--r-line);border-radius:6px;margin:0 0 10px;overflow:hidden}
.r-table.r-sum td{border:0;border-bottom:1px solid #eceef1;display:grid;grid-template-columns:8.5em 1fr;gap:8px}
.r-table.r-sum td{white-space:normal;overflow-wrap:anywhere}
.r-table.r-sum td>*{justify-self:start}
.r-table.r-sum td::before{content:attr(data-label);color:var(--r-muted);font-weight:600}
.r-tl{grid-template-columns:4.6em 1.2em 1fr}
}
@media print{
.r-report{max-width:none;padding:0;font-size:11pt}
.r-ep{break-inside:auto}
.r-ep>summary{list-style:none}
.r-ep::details-content{content-visibility:visible;display:block}
.r-ep:not([open]) .r-ep-body{display:block}
.r-fix-item,.r-related,.r-verdict{break-inside:avoid}
.r-report a{color:inherit;text-decoration:none}
}
`;

/** Base rules for the standalone document only (the embedding page owns its <body>). */
export const DOCUMENT_CSS = `html{background:#fff}body{margin:0;background:#fff}`;
