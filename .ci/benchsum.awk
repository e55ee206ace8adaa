# Summarizes the output of .ci/bench.sh (go test -bench output with "# group" markers) as
# one line per figure. A figure whose benchmark has no result line prints as
# "not measured: <why>". POSIX awk. Exits 1 when a figure is missing because its benchmark
# failed.

function strip(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }

# basename drops the -GOMAXPROCS suffix of a benchmark name.
function basename(s) { sub(/-[0-9]+$/, "", s); return s }

# human writes 1000000 as 1M and 200000 as 200k.
function human(n) {
  if (n >= 1000000 && n % 1000000 == 0) return (n / 1000000) "M"
  if (n >= 1000 && n % 1000 == 0) return (n / 1000) "k"
  return n
}

function fmt(v, unit) {
  if (v >= 100) return sprintf("%.0f", v)
  if (v >= 10) return sprintf("%.1f", v)
  return sprintf("%.2f", v)
}

# why explains why benchmark name (in group g) has no figure.
function why(name, g,   p) {
  p = name
  while (p != "") {
    if (p in skipped) return "skipped: " skipped[p]
    if (p in failed) { bad = 1; return "failed: " failed[p] }
    if (p !~ /\//) break
    sub(/\/[^\/]*$/, "", p)
  }
  if (g in notrun) return "not run (" notrun[g] ")"
  if (g in gexit && gexit[g] != 0) {
    bad = 1
    if (g in builderr) return "the benchmark did not build: " builderr[g]
    return "the benchmark run failed (exit " gexit[g] ")" (timedout[g] ? ": timed out" : "") "; see the log"
  }
  if (!(g in gexit)) return "its group did not run"
  return "the benchmark " name " did not run"
}

function have(name, unit) { return (name SUBSEP unit) in val }
function get(name, unit) { return val[name, unit] }

# line prints label: the figure, or why it is missing.
function missing(label, name, g) { printf "%s: not measured: %s\n", label, why(name, g) }

BEGIN { group = ""; pending = ""; bad = 0 }

/^# group [a-z0-9]+: / { group = $3; sub(/:$/, "", group); next }
/^# group [a-z0-9]+ exit / { gexit[$3] = $5; next }
/^# group [a-z0-9]+ not run/ { g = $3; r = $0; sub(/^# group [a-z0-9]+ not run: /, "", r); notrun[g] = r; next }
/^panic: test timed out/ { timedout[group] = 1 }
# A compile error: the first one names the cause.
/^[^ \t#][^ \t]*\.go:[0-9]+:[0-9]+: / { if (!(group in builderr)) builderr[group] = strip($0) }

# A reason follows the --- SKIP / --- FAIL line, indented.
pending != "" && /^[ \t]+[^ \t]/ {
  r = strip($0); sub(/^[A-Za-z0-9_]+\.go:[0-9]+: /, "", r)
  if (pendkind == "skip") skipped[pending] = r; else if (!(pending in failed) || failed[pending] == "") failed[pending] = r
  pending = ""; next
}
{ pending = "" }
/^--- SKIP: / { pending = basename($3); pendkind = "skip"; skipped[pending] = ""; next }
/^--- FAIL: / { pending = basename($3); pendkind = "fail"; if (!(pending in failed)) failed[pending] = ""; next }

/^Benchmark[^ \t]*[ \t]+[0-9]+[ \t]/ {
  name = basename($1)
  for (i = 3; i < NF; i += 2) val[name, $(i + 1)] = $i
  next
}

# The decide benchmark logs, per backend and store size, the size of its store.
/decisions in .*store of [0-9]+ premises, [0-9]+ court acts/ {
  be = strip($0); sub(/^[A-Za-z0-9_]+\.go:[0-9]+: /, "", be); sub(/:.*/, "", be)
  s = $0; match(s, /store of [0-9]+ premises, [0-9]+ court acts/)
  s = substr(s, RSTART, RLENGTH); split(s, w, " ")
  size[be] = human(w[3] + 0) " premises, " human(w[5] + 0) " acts"
}

# number reads a size as the decide benchmark names it: 10k, 1M, 500.
function number(s) {
  if (s ~ /M$/) return substr(s, 1, length(s) - 1) * 1000000
  if (s ~ /k$/) return substr(s, 1, length(s) - 1) * 1000
  return s + 0
}

# commas writes 12345.6 as 12,346.
function commas(v,   s, out) {
  s = sprintf("%.0f", v); out = ""
  while (length(s) > 3) { out = "," substr(s, length(s) - 2) out; s = substr(s, 1, length(s) - 3) }
  return s out
}

# decisions prints, for backend be, the decisions/s at the largest store with its target
# and verdict, then the figure at each store size with their spread (largest over smallest,
# minus one) against the ±25 % target.
function decisions(be, target,   k, n, parts, sz, nsz, i, j, t, big, label, v, lo, hi, line, spread) {
  nsz = 0
  for (k in val) {
    split(k, parts, SUBSEP)
    n = parts[1]
    if (parts[2] != "decisions/s" || index(n, "BenchmarkDecisions/" be "/premises=") != 1) continue
    sz[++nsz] = substr(n, length("BenchmarkDecisions/" be "/premises=") + 1)
  }
  for (i = 2; i <= nsz; i++)  # by size, smallest first
    for (j = i; j > 1 && number(sz[j]) < number(sz[j - 1]); j--) { t = sz[j]; sz[j] = sz[j - 1]; sz[j - 1] = t }
  n = "BenchmarkDecisions/" be "/premises=1M"
  if (nsz == 0) {
    missing("decisions/s (" title[be] ", 1M premises, 200k acts)", n, "decide")
    missing("decisions/s by store size (" title[be] ")", n, "decide")
    return
  }
  big = sz[nsz]; n = "BenchmarkDecisions/" be "/premises=" big
  label = "decisions/s (" title[be] ", " ((be "/premises=" big) in size ? size[be "/premises=" big] : big " premises") ")"
  v = get(n, "decisions/s")
  printf "%s: %s/s — target >= %s/s %s%s\n", label, commas(v), commas(target), (v >= target ? "met" : "missed"),
    (big == "1M" ? "" : " (the target is for 1M premises; this store was scaled down by GISGW_BENCH_SCALE)")
  line = ""; lo = -1; hi = 0
  for (i = 1; i <= nsz; i++) {
    v = get("BenchmarkDecisions/" be "/premises=" sz[i], "decisions/s")
    line = line (i > 1 ? ", " : "") sz[i] " " commas(v) "/s"
    if (lo < 0 || v < lo) lo = v
    if (v > hi) hi = v
  }
  if (nsz < 3) {
    printf "decisions/s by store size (%s): %s — spread not judged: %d of 3 sizes measured\n", title[be], line, nsz
    return
  }
  spread = lo > 0 ? (hi / lo - 1) * 100 : 1e9
  printf "decisions/s by store size (%s): %s — spread %.0f %% (largest / smallest - 1), target ±25 %% %s\n",
    title[be], line, spread, (spread <= 25 ? "met" : "missed")
}

END {
  nb = split("sqlite postgres", backends, " ")
  title["sqlite"] = "SQLite"; title["postgres"] = "PostgreSQL"

  decisions("postgres", 10000)
  decisions("sqlite", 8000)

  for (i = 1; i <= nb; i++) {
    be = backends[i]; n = "BenchmarkEndToEnd/" be "/gisgw"
    label = "end-to-end 10,000 sub-requests (" title[be] ")"
    if (have(n, "s/run")) {
      s = get(n, "s/run"); m = get(n, "MB-peak-RSS")
      verdict = (s <= 30 && m <= 150) ? "targets met (<= 30 s, <= 150 MB)" : "target missed (<= 30 s, <= 150 MB)"
      printf "%s: %.1f s, peak RSS %.0f MB — %s\n", label, s, m, verdict
    } else missing(label, n, "e2e")
    r = "BenchmarkEndToEnd/" be "/reference"
    label = "reference mode (20/message, 1 in flight) (" title[be] ")"
    if (have(r, "s/run")) {
      if (have(r, "x-faster")) ratio = sprintf(" — gisgw is %.1fx faster", get(r, "x-faster"))
      else ratio = " — no ratio: the gisgw-mode run did not finish"
      printf "%s: %.1f s, peak RSS %.0f MB%s\n", label, get(r, "s/run"), get(r, "MB-peak-RSS"), ratio
    } else missing(label, r, "e2e")
  }

  n = "BenchmarkSign100Actions"; label = "XAdES sign 100-action message (GOST 256)"
  if (have(n, "ns/op")) printf "%s: %.0f /s (%.1f ms each)\n", label, 1e9 / get(n, "ns/op"), get(n, "ns/op") / 1e6
  else missing(label, n, "xades")
  n = "BenchmarkVerify100Actions"; label = "XAdES verify 100-action message (GOST 256)"
  if (have(n, "ns/op")) printf "%s: %.0f /s (%.1f ms each)\n", label, 1e9 / get(n, "ns/op"), get(n, "ns/op") / 1e6
  else missing(label, n, "xades")

  for (i = 1; i <= nb; i++) {
    be = backends[i]
    n = "BenchmarkImport100k/" be "/insert"; label = "import 100,000 court-act rows (" title[be] ")"
    if (have(n, "rows/s")) printf "%s: %s rows/s\n", label, fmt(get(n, "rows/s"))
    else missing(label, n, "import")
    n = "BenchmarkImport100k/" be "/reimport"; label = "re-import 100,000 unchanged court-act rows (" title[be] ")"
    if (have(n, "rows/s")) printf "%s: %s rows/s\n", label, fmt(get(n, "rows/s"))
    else missing(label, n, "import")
  }
  exit bad
}
