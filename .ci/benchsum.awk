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

# commas writes 100000 as 100,000 and 12345.6 as 12,346.
function commas(n,   s) {
  s = sprintf("%.0f", n)
  while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]($|,)/, ",&", s)
  return s
}

# rss lists the peak RSS of each replica of scale benchmark name: "44, 48, 46".
function rss(name,   r, k, s) {
  s = ""
  for (k = 1; have(name, "MB-peak-RSS-r" k); k++) s = s (k > 1 ? ", " : "") sprintf("%.0f", get(name, "MB-peak-RSS-r" k))
  return s
}

# importline prints an import figure with its target (50,000 rows/s) and the importer's
# own CPU time (and PostgreSQL's backends'), which shows what a loaded machine hides.
function importline(label, n,   v, det, k) {
  v = get(n, "rows/s")
  det = ""; k = n SUBSEP "rows/s"
  if (nruns[k] > 1) det = "median of " nruns[k] " runs: " runlist(n, "rows/s")
  if (have(n, "cpu-s/op")) det = det (det != "" ? "; " : "") sprintf("%.1f s CPU", get(n, "cpu-s/op"))
  if (have(n, "pg-cpu-s/op")) det = det sprintf(", server %.1f s", get(n, "pg-cpu-s/op"))
  if (det != "") det = " (" det ")"
  printf "%s: %s rows/s%s — target >= 50,000 %s\n", label, commas(v), det, (v >= 50000 ? "met" : "missed")
}

# median is the middle of the runs of key k (name SUBSEP unit); the mean of the middle two
# for an even count.
function median(k,   n, i, j, t, v) {
  n = nruns[k]
  for (i = 1; i <= n; i++) v[i] = runs[k, i]
  for (i = 2; i <= n; i++)
    for (j = i; j > 1 && v[j] < v[j - 1]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
  return (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}

# runlist is the runs of a figure in the order run: "43,120, 45,845, 47,002".
function runlist(name, unit,   k, i, s) {
  k = name SUBSEP unit
  for (i = 1; i <= nruns[k]; i++) s = s (i > 1 ? ", " : "") commas(runs[k, i])
  return s
}

function have(name, unit) { return (name SUBSEP unit) in val }
function get(name, unit) { return val[name, unit] }

# line prints label: the figure, or why it is missing.
function missing(label, name, g) { printf "%s: not measured: %s\n", label, why(name, g) }

BEGIN { group = ""; pending = ""; bad = 0 }

/^# group [a-z0-9]+: / { group = $3; sub(/:$/, "", group); next }
# A group may run go test more than once; any failure stands.
/^# group [a-z0-9]+ exit / { if (!($3 in gexit) || gexit[$3] == 0) gexit[$3] = $5; next }
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
  if (name ~ /^BenchmarkScale\/postgres\/n=[0-9]+$/ && !(name in scaleseen)) { scaleseen[name] = 1; scalename[++nscale] = name }
  # A benchmark run more than once (-count) has one line per run; its figure is their median.
  for (i = 3; i < NF; i += 2) { k = name SUBSEP $(i + 1); runs[k, ++nruns[k]] = $i + 0; val[k] = median(k) }
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
  if (have(n, "rounds")) label = label sprintf(", median of %d rounds", get(n, "rounds"))
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
    label = "end-to-end overhead, 10,000 sub-requests, GIS answering at once (" title[be] ")"
    if (have(n, "s/run")) {
      s = get(n, "s/run"); m = get(n, "MB-peak-RSS")
      verdict = (s <= 30 && m <= 150) ? "targets met (<= 30 s, <= 150 MB)" : "target missed (<= 30 s, <= 150 MB)"
      printf "%s: %.1f s, peak RSS %.0f MB — %s\n", label, s, m, verdict
    } else missing(label, n, "e2e")
  }

  # With GIS's latency (BenchmarkEndToEndGIS): PostgreSQL first, it has the reference run.
  for (i = nb; i >= 1; i--) {
    be = backends[i]; n = "BenchmarkEndToEndGIS/" be "/gisgw"; r = "BenchmarkEndToEndGIS/" be "/reference"
    div = have(n, "GIS-time-divisor") ? get(n, "GIS-time-divisor") : (have(r, "GIS-time-divisor") ? get(r, "GIS-time-divisor") : "")
    scale = (div != "") ? sprintf("GIS's times and the official poll schedule / %g", div) : "scaled GIS times"
    label = "end-to-end 10,000 sub-requests with GIS's latency (" title[be] ", batch 100, 4 in flight, " scale ")"
    if (have(n, "s/run")) {
      s = get(n, "s/run"); f = get(n, "floor-s"); x = get(n, "x-floor")
      verdict = (x <= 1.5) ? "target <= 1.5x the floor met" : "target <= 1.5x the floor missed"
      printf "%s: %.1f s, peak RSS %.0f MB; protocol floor %.1f s: %.2fx the floor — %s\n", label, s, get(n, "MB-peak-RSS"), f, x, verdict
    } else missing(label, n, "e2e")
    label = "reference mode with GIS's latency (" title[be] ", 20/message, 1 in flight, same schedule)"
    if (have(r, "s/run")) {
      if (have(r, "x-faster")) {
        x = get(r, "x-faster")
        ratio = sprintf(" — gisgw is %.1fx faster — target >= 10x %s", x, (x >= 10) ? "met" : "missed")
      } else ratio = " — no ratio: the gisgw-mode run did not finish"
      printf "%s: %.1f s%s\n", label, get(r, "s/run"), ratio
    } else if (be == "sqlite" && have(n, "s/run")) {
      printf "%s: not measured: the reference run is minutes long; PostgreSQL's stands (BENCH_GIS_SQLITE_REFERENCE=1 runs it)\n", label
    } else missing(label, r, "e2e")
  }

  # The scale group: the 10,000 run, then the large one (100,000 unless BENCH_SCALE_N).
  small = "BenchmarkScale/postgres/n=10000"; large = "BenchmarkScale/postgres/n=100000"
  if (nscale >= 2) large = scalename[2]
  ls = large; sub(/.*n=/, "", ls)
  label = "scale 10,000 / " commas(ls) " sub-requests (PostgreSQL, 3 replicas)"
  if (!have(small, "s/run")) missing(label, small, "scale")
  else if (!have(large, "s/run")) missing(label, large, "scale")
  else {
    m = get(small, "MB-peak-RSS"); if (get(large, "MB-peak-RSS") > m) m = get(large, "MB-peak-RSS")
    lin = have(large, "x-linear") ? get(large, "x-linear") : 99
    verdict = (m <= 150 && lin <= 1.25) ? "targets met" : "target missed"
    printf "%s: wall %.1f s / %.1f s (%.2fx of linear), peak RSS per replica %.0f / %.0f MB (each %s / %s) — %s (<= 150 MB, linear: <= 1.25x)\n", \
      label, get(small, "s/run"), get(large, "s/run"), lin, get(small, "MB-peak-RSS"), get(large, "MB-peak-RSS"), rss(small), rss(large), verdict
  }

  n = "BenchmarkSign100Actions"; label = "XAdES sign 100-action message (GOST 256)"
  if (have(n, "ns/op")) {
    ms = get(n, "ns/op") / 1e6
    printf "%s: %.2f ms (%.0f /s) — target ≤ 2 ms %s\n", label, ms, 1e3 / ms, (ms <= 2 ? "met" : "missed")
  } else missing(label, n, "xades")
  n = "BenchmarkVerify100Actions"; label = "XAdES verify 100-action message (GOST 256)"
  if (have(n, "ns/op")) {
    ms = get(n, "ns/op") / 1e6
    printf "%s: %.2f ms (%.0f /s) — target ≤ 4 ms %s\n", label, ms, 1e3 / ms, (ms <= 4 ? "met" : "missed")
  } else missing(label, n, "xades")
  n = "BenchmarkSignOpenSSLProcess100Actions"; label = "XAdES openssl process per message (anchor)"
  if (have(n, "ns/op")) {
    ms = get(n, "ns/op") / 1e6
    s = "BenchmarkSign100Actions"
    if (have(s, "ns/op")) {
      x = get(n, "ns/op") / get(s, "ns/op")
      printf "%s: %.2f ms — gisgw is %.1f× faster (target ≥ 4×) %s\n", label, ms, x, (x >= 4 ? "met" : "missed")
    } else printf "%s: %.2f ms — no ratio: the sign benchmark did not run\n", label, ms
  } else missing(label, n, "xades")

  for (i = 1; i <= nb; i++) {
    be = backends[i]
    n = "BenchmarkImport100k/" be "/insert"; label = "import 100,000 court-act rows (" title[be] ")"
    if (have(n, "rows/s")) importline(label, n)
    else missing(label, n, "import")
    n = "BenchmarkImport100k/" be "/reimport"; label = "re-import 100,000 unchanged court-act rows (" title[be] ")"
    if (have(n, "rows/s")) importline(label, n)
    else missing(label, n, "import")
  }
  n = "BenchmarkImportMemory"; label = "import peak heap, 100,000 vs 400,000 court-act rows (SQLite)"
  if (have(n, "x-heap-400k/100k")) {
    r = get(n, "x-heap-400k/100k")
    printf "%s: %.0f MB vs %.0f MB, %.2fx — target <= 1.5x %s\n", label, get(n, "MB-heap-100k"), get(n, "MB-heap-400k"), r, (r <= 1.5 ? "met" : "missed")
  } else missing(label, n, "import")
  exit bad
}
