package io.rptun.benchmarks.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * Turns one run's results into the report: the tables (Markdown) and the chart (SVG) of
 * {@code docs/benchmarks.md}. Reads JMH's {@code -rf json} output of the one-way benchmarks, and the JSON
 * files of {@link PingPongMain} and {@link IdleCpuMain}; every throughput figure is the median of all
 * measurement iterations of all forks (these machines are noisy: medians, not means), and every ratio is
 * between figures of the same run.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.rptun.benchmarks.harness.ReportMain --jmh jmh.json \
 *      [--pingpong pingpong.json] [--idle idle.json] [--svg docs/benchmarks.svg] [--markdown table.md] [--load TEXT]
 * </pre>
 */
public final class ReportMain {
    /** One benchmark case (a class and its parameters but the payload): medians per payload. */
    static final class Row {
        final String label;
        final Map<Integer, Double> opsPerSecond = new TreeMap<>();
        final Map<Integer, Double> bytesPerOp = new TreeMap<>();
        /** The lowest and highest measurement iteration per payload: two-thread runs here are bimodal. */
        final Map<Integer, double[]> range = new TreeMap<>();

        Row(String label) {
            this.label = label;
        }

        @Nullable Double ops(int payload) {
            return opsPerSecond.get(payload);
        }
    }

    static final String CORE = "rptun core: send, remote busy-spin";
    static final String CORE_BATCH = "rptun core: trySendBatch of 32, remote busy-spin";
    /** The row of batches over 2048-entry rings, labelled as {@link #label} labels it (one place for the text). */
    static final String CORE_BATCH_BIG_RINGS = label("RptunOneWayBenchmark",
            Map.of("api", "batch-32", "ring", "2048", "remoteIdle", "busy-spin"));

    /** What the targets need besides the one-way rows: set by {@link #main} before any table is made. */
    record TargetInputs(Map<String, double[]> costs, Floods floods) {
    }

    private static TargetInputs targetInputs = new TargetInputs(Map.of(), new Floods(List.of(), List.of()));

    /** The echo floods ({@code EchoFloodMain} and {@code OpenAmpEchoMain} JSON): their table and targets. */
    record Floods(List<Map<String, @Nullable Object>> doorbells, List<Map<String, @Nullable Object>> openamp) {
        /** OpenAMP's C flood host with its C echo remote on this machine, measured at issue 20's start. */
        static final double C_WITH_C = 70_139;

        @Nullable Map<String, @Nullable Object> doorbell(String doorbell, String peer, int batch) {
            for (Map<String, @Nullable Object> r : doorbells) {
                if (doorbell.equals(r.get("doorbell")) && peer.equals(r.get("peer"))
                        && Json.number(r.get("batch")) == batch) {
                    return r;
                }
            }
            return null;
        }

        @Nullable Map<String, @Nullable Object> pair(String pair) {
            for (Map<String, @Nullable Object> r : openamp) {
                if (pair.equals(r.get("pair"))) {
                    return r;
                }
            }
            return null;
        }

        List<String[]> targets() {
            List<String[]> t = new ArrayList<>();
            Map<String, @Nullable Object> socket = pair("rptun32-rptun");
            Map<String, @Nullable Object> model = pair("model-model");
            String what = "echo flood, socket doorbell, rptun ↔ rptun ≥ 10× OpenAMP C ↔ C (≥ 700,000/s)";
            if (socket != null) {
                double r = Json.number(socket.get("echoesPerSecond"));
                t.add(new String[] {what, String.format(Locale.ROOT, "%,.0f/s (%.1f× C ↔ C's %,.0f; %s the model"
                        + " pair in this run)", r, r / C_WITH_C, C_WITH_C, model == null ? "?"
                        : ratio(r / Json.number(model.get("echoesPerSecond")))), met(r >= 10 * C_WITH_C)});
            } else {
                t.add(new String[] {what, "", "not measured"});
            }
            Map<String, @Nullable Object> futex = doorbell("futex", "rptun", 32);
            what = "echo flood, futex doorbell, rptun ↔ rptun ≥ 1,500,000/s";
            if (futex != null) {
                double r = Json.number(futex.get("echoesPerSecond"));
                Map<String, @Nullable Object> single = doorbell("futex", "rptun", 1);
                t.add(new String[] {what, String.format(Locale.ROOT, "%,.0f/s in batches (%s one at a time)", r,
                        single == null ? "?" : String.format(Locale.ROOT, "%,.0f/s",
                                Json.number(single.get("echoesPerSecond")))), met(r >= 1_500_000)});
            } else {
                t.add(new String[] {what, "", "not measured"});
            }
            return t;
        }

        String table() {
            if (doorbells.isEmpty() && openamp.isEmpty()) {
                return "";
            }
            StringBuilder b = new StringBuilder("\n| echo flood, 17 B | peer | messages per publication | echoes/s |"
                    + " CPU µs per echo (both sides) |\n|---|---|---|---:|---:|\n");
            for (Map<String, @Nullable Object> r : openamp) {
                String pair = Json.string(r.get("pair"));
                b.append(String.format(Locale.ROOT, "| socket (OpenAMP demo), host %s | echo remote %s | %s | %,.0f | %.2f |%n",
                        pair.substring(0, pair.indexOf('-')).replace("32", ""), pair.substring(pair.indexOf('-') + 1),
                        pair.startsWith("rptun32") ? "up to 32" : "1", Json.number(r.get("echoesPerSecond")),
                        Json.number(r.get("cpuMicrosPerEcho"))));
            }
            for (Map<String, @Nullable Object> r : doorbells) {
                int batch = (int) Json.number(r.get("batch"));
                b.append(String.format(Locale.ROOT, "| %s | %s | %s | %,.0f | %.2f |%n", r.get("doorbell"), r.get("peer"),
                        batch == 1 ? "1" : "up to " + batch, Json.number(r.get("echoesPerSecond")),
                        Json.number(r.get("cpuMicrosPerEcho"))));
            }
            return b.toString();
        }
    }
    static final String AERON = "Aeron IPC: exclusive publication";

    private ReportMain() {
    }

    public static void main(String[] args) throws IOException {
        List<Path> jmh = new ArrayList<>();
        @Nullable Path pingpong = null;
        @Nullable Path idle = null;
        @Nullable Path floods = null;
        @Nullable Path openamp = null;
        @Nullable Path svg = null;
        @Nullable Path markdown = null;
        String load = "";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--jmh" -> jmh.add(Path.of(args[++i])); // more than once: the runs of every file
                case "--pingpong" -> pingpong = Path.of(args[++i]);
                case "--idle" -> idle = Path.of(args[++i]);
                case "--floods" -> floods = Path.of(args[++i]);
                case "--openamp" -> openamp = Path.of(args[++i]);
                case "--svg" -> svg = Path.of(args[++i]);
                case "--markdown" -> markdown = Path.of(args[++i]);
                case "--load" -> load = args[++i];
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (jmh.isEmpty()) {
            throw new IllegalArgumentException("--jmh FILE is required");
        }
        List<@Nullable Object> runs = new ArrayList<>();
        for (Path file : jmh) {
            runs.addAll(Json.array(Json.parse(Files.readString(file))));
        }
        Map<String, Row> rows = rows(runs);
        List<Map<String, @Nullable Object>> rtt = pingpong == null ? List.of() : results(pingpong);
        List<Map<String, @Nullable Object>> cpu = idle == null ? List.of() : results(idle);
        String machine = machine(runs, load);
        Floods f = new Floods(floods == null ? List.of() : results(floods), openamp == null ? List.of() : results(openamp));
        targetInputs = new TargetInputs(costs(runs), f);
        String md = markdown(machine, rows, rtt, cpu) + costTable(costs(runs)) + roundTripCostTable(roundTripCosts(runs))
                + f.table();
        System.out.println(md);
        if (markdown != null) {
            Files.writeString(markdown, md);
        }
        if (svg != null) {
            Files.writeString(svg, svg(machine, rows, rtt, cpu, costs(runs)));
            System.out.println("chart written to " + svg);
        }
    }

    // ---------------------------------------------------------------- reading

    static Map<String, Row> rows(List<@Nullable Object> runs) {
        Map<String, Row> rows = new LinkedHashMap<>();
        for (Object o : runs) {
            Map<String, @Nullable Object> run = Json.object(o);
            if (!"thrpt".equals(run.get("mode"))) {
                continue;
            }
            String benchmark = Json.string(run.get("benchmark"));
            String[] parts = benchmark.split("\\.");
            String cls = parts[parts.length - 2];
            Map<String, String> params = new TreeMap<>();
            Object p = run.get("params");
            if (p != null) {
                Json.object(p).forEach((k, v) -> params.put(k, Json.string(v)));
            }
            int payload = Integer.parseInt(params.getOrDefault("payload", "0"));
            params.remove("payload");
            String label = label(cls, params);
            Row row = rows.computeIfAbsent(label, Row::new);
            row.opsPerSecond.put(payload, median(Json.object(run.get("primaryMetric"))));
            row.range.put(payload, range(Json.object(run.get("primaryMetric"))));
            Object secondary = run.get("secondaryMetrics");
            if (secondary != null && Json.object(secondary).get("gc.alloc.rate.norm") != null) {
                row.bytesPerOp.put(payload, median(Json.object(Json.object(secondary).get("gc.alloc.rate.norm"))));
            }
        }
        Map<String, Row> ordered = new LinkedHashMap<>();
        for (String first : new String[] {AERON, CORE}) {
            Row r = rows.remove(first);
            if (r != null) {
                ordered.put(first, r);
            }
        }
        rows.entrySet().stream().sorted(Map.Entry.comparingByKey((a, b) -> Integer.compare(rank(a), rank(b))))
                .forEach(e -> ordered.put(e.getKey(), e.getValue()));
        return ordered;
    }

    private static int rank(String label) {
        return label.startsWith("rptun core") ? 0 : label.startsWith("rptun reactive") ? 1
                : label.startsWith("probe") ? 3 : 2;
    }

    /** {@code PathCostBenchmark}: transport to {nanoseconds per message, bytes per message}. */
    static Map<String, double[]> costs(List<@Nullable Object> runs) {
        Map<String, double[]> costs = new LinkedHashMap<>();
        for (Object o : runs) {
            Map<String, @Nullable Object> run = Json.object(o);
            if (!Json.string(run.get("benchmark")).endsWith("PathCostBenchmark.round")) {
                continue;
            }
            String transport = Json.string(Json.object(run.get("params")).get("transport"));
            Object secondary = run.get("secondaryMetrics");
            Object norm = secondary == null ? null : Json.object(secondary).get("gc.alloc.rate.norm");
            costs.put(transport, new double[] {median(Json.object(run.get("primaryMetric"))),
                norm == null ? Double.NaN : median(Json.object(norm))});
        }
        return costs;
    }

    /** {@code RoundTripCostBenchmark}: transport to nanoseconds per round trip (the median iteration). */
    static Map<String, Double> roundTripCosts(List<@Nullable Object> runs) {
        Map<String, Double> costs = new LinkedHashMap<>();
        for (Object o : runs) {
            Map<String, @Nullable Object> run = Json.object(o);
            if (Json.string(run.get("benchmark")).endsWith("RoundTripCostBenchmark.roundTrip")) {
                costs.put(Json.string(Json.object(run.get("params")).get("transport")),
                        median(Json.object(run.get("primaryMetric"))));
            }
        }
        return costs;
    }

    /** The one-thread round trip: what a ping-pong's passes cost in software, without a second core. */
    static String roundTripCostTable(Map<String, Double> costs) {
        if (costs.isEmpty()) {
            return "";
        }
        Double aeron = costs.get("aeron");
        StringBuilder b = new StringBuilder("\n| CPU per round trip, one thread (ping + echo, each side one pass, 64 B) |"
                + " ns per round trip | ÷ Aeron |\n|---|---:|---:|\n");
        costs.forEach((transport, c) -> b.append(String.format(Locale.ROOT, "| %s | %.1f | %s |%n",
                switch (transport) {
                    case "rptun" -> "rptun core (echo answered from the callback; publications pay the doorbell's fence)";
                    case "vring-raw" -> "split-ring work of the round trip alone (two rings, checks, the fences; no thread"
                            + " safety, no rpmsg)";
                    case "aeron" -> "Aeron IPC (two exclusive publications, the echo offered from the fragment handler)";
                    default -> transport;
                }, c, aeron == null ? "" : ratio(c / aeron))));
        return b.toString();
    }

    static String label(String cls, Map<String, String> params) {
        return switch (cls) {
            case "SegmentRingOneWayBenchmark" -> "MemorySegment ring (in-process limit)";
            case "SpscQueueOneWayBenchmark" -> "JCTools SPSC queue (in-process limit)";
            case "AeronIpcOneWayBenchmark" -> AERON;
            case "RptunOneWayBenchmark" -> "rptun core: " + switch (params.getOrDefault("api", "send")) {
                case "try-send" -> "trySend + spin";
                case "batch-8" -> "trySendBatch of 8";
                case "batch-32" -> "trySendBatch of 32";
                default -> "send";
            } + ringLabel(params) + ", remote " + params.getOrDefault("remoteIdle", "?");
            case "RptunReactiveOneWayBenchmark" -> "rptun reactive: sendBytes(Flux) to receive()";
            case "RptunProbeBenchmark" -> "probe, bare devices: " + ("none".equals(params.get("kick"))
                    ? "no kick" : "a kick per message");
            default -> cls + params;
        };
    }

    /** Nothing for the default 256-entry rings; else how many entries and how much buffer memory each ring has. */
    static String ringLabel(Map<String, String> params) {
        String ring = params.getOrDefault("ring", "256");
        if (ring.equals("256")) {
            return "";
        }
        long kib = Long.parseLong(ring) * 512 / 1024;
        return ", " + ring + "-entry rings (" + (kib >= 1024 ? kib / 1024 + " MiB" : kib + " KiB") + " of buffers each)";
    }

    /** The median of every measurement iteration of every fork ({@code rawData}), else the score. */
    /** The lowest and highest measurement iteration of every fork, or the score twice. */
    static double[] range(Map<String, @Nullable Object> metric) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        Object raw = metric.get("rawData");
        if (raw != null) {
            for (Object fork : Json.array(raw)) {
                for (Object v : Json.array(fork)) {
                    lo = Math.min(lo, Json.number(v));
                    hi = Math.max(hi, Json.number(v));
                }
            }
        }
        if (lo > hi) {
            double score = Json.number(metric.get("score"));
            return new double[] {score, score};
        }
        return new double[] {lo, hi};
    }

    static double median(Map<String, @Nullable Object> metric) {
        List<Double> values = new ArrayList<>();
        Object raw = metric.get("rawData");
        if (raw != null) {
            for (Object fork : Json.array(raw)) {
                for (Object v : Json.array(fork)) {
                    values.add(Json.number(v));
                }
            }
        }
        if (values.isEmpty()) {
            return Json.number(metric.get("score"));
        }
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    static List<Map<String, @Nullable Object>> results(Path file) throws IOException {
        List<Map<String, @Nullable Object>> list = new ArrayList<>();
        for (Object o : Json.array(Json.object(Json.parse(Files.readString(file))).get("results"))) {
            list.add(Json.object(o));
        }
        return list;
    }

    static @Nullable Map<String, @Nullable Object> find(List<Map<String, @Nullable Object>> results, String mode) {
        for (Map<String, @Nullable Object> r : results) {
            if (mode.equals(r.get("mode"))) {
                return r;
            }
        }
        return null;
    }

    static String machine(List<@Nullable Object> runs, String load) {
        String cpu = "unknown CPU";
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    cpu = line.substring(line.indexOf(':') + 1).trim();
                    break;
                }
            }
        } catch (IOException e) {
            // not Linux: say so
        }
        String jdk = runs.isEmpty() ? System.getProperty("java.runtime.version")
                : Json.string(Json.object(runs.get(0)).get("jdkVersion")) + " ("
                        + Json.string(Json.object(runs.get(0)).get("vmName")) + ")";
        return Runtime.getRuntime().availableProcessors() + " CPUs, " + cpu + ", JDK " + jdk
                + (load.isBlank() ? "" : "; load: " + load.trim());
    }

    // ---------------------------------------------------------------- tables

    static String markdown(String machine, Map<String, Row> rows, List<Map<String, @Nullable Object>> rtt,
            List<Map<String, @Nullable Object>> cpu) {
        StringBuilder b = new StringBuilder();
        b.append("Machine: ").append(machine).append("\n\n");
        Row aeron = rows.get(AERON);
        Double aeron64 = aeron == null ? null : aeron.ops(64);
        b.append("| one way, messages per second (median) | 64 B | 64 B: lowest – highest iteration | 496 B |"
                + " ÷ Aeron IPC at 64 B | B/msg at 64 B | B/msg at 496 B |\n|---|---:|---:|---:|---:|---:|---:|\n");
        for (Row r : rows.values()) {
            Double v64 = r.ops(64);
            double[] range64 = r.range.get(64);
            b.append("| ").append(r.label).append(" | ").append(rate(v64)).append(" | ")
                    .append(range64 == null ? "" : rate(range64[0]) + " – " + rate(range64[1])).append(" | ")
                    .append(rate(r.ops(496)))
                    .append(" | ").append(v64 == null || aeron64 == null ? "" : ratio(v64 / aeron64)).append(" | ")
                    .append(bytes(r.bytesPerOp.get(64))).append(" | ").append(bytes(r.bytesPerOp.get(496)))
                    .append(" |\n");
        }
        if (!rtt.isEmpty()) {
            Map<String, @Nullable Object> a = find(rtt, "aeron");
            b.append("\n| round trip between two JVMs, 64 B | p50 µs | p90 µs | p99 µs | p99.9 µs | max µs |"
                    + " p50 ÷ Aeron's |\n|---|---:|---:|---:|---:|---:|---:|\n");
            for (Map<String, @Nullable Object> r : rtt) {
                double p50 = Json.number(r.get("p50"));
                b.append(String.format(Locale.ROOT, "| %s | %.2f | %.2f | %.2f | %.2f | %.1f | %s |%n",
                        rttLabel(Json.string(r.get("mode"))), p50 / 1000, Json.number(r.get("p90")) / 1000,
                        Json.number(r.get("p99")) / 1000, Json.number(r.get("p999")) / 1000,
                        Json.number(r.get("max")) / 1000, a == null ? "" : ratio(p50 / Json.number(a.get("p50")))));
            }
        }
        if (!cpu.isEmpty()) {
            b.append("\n| idle link (host here, remote in a child JVM) | host: % of a core | remote: % of a core |"
                    + " host futex sleeps per second |\n|---|---:|---:|---:|\n");
            for (Map<String, @Nullable Object> r : cpu) {
                b.append(String.format(Locale.ROOT, "| %s | %.2f | %.2f | %.1f |%n", idleLabel(Json.string(r.get("mode"))),
                        Json.number(r.get("hostPercent")), Json.number(r.get("remotePercent")),
                        Json.number(r.get("futexWaits")) / Json.number(r.get("seconds"))));
            }
        }
        b.append("\n| target | measured | met |\n|---|---|---|\n");
        for (String[] t : targets(rows, rtt, cpu)) {
            b.append("| ").append(t[0]).append(" | ").append(t[1]).append(" | ").append(t[2]).append(" |\n");
        }
        return b.toString();
    }

    static String costTable(Map<String, double[]> costs) {
        if (costs.isEmpty()) {
            return "";
        }
        double[] aeron = costs.get("aeron");
        StringBuilder b = new StringBuilder("\n| CPU per message, one thread (send + receive, 64 B) | ns per message | ÷ Aeron |"
                + " B per message |\n|---|---:|---:|---:|\n");
        costs.forEach((transport, c) -> b.append(String.format(Locale.ROOT, "| %s | %.1f | %s | %s |%n",
                switch (transport) {
                    case "rptun" -> "rptun core (bare devices, no doorbell)";
                    case "rptun-batch" -> "rptun core, trySendBatch of 32 (bare devices, no doorbell)";
                    case "vring" -> "virtio layer alone (VirtqueuePort)";
                    case "vring-batch" -> "virtio layer alone (VirtqueuePort), batches of 32";
                    case "vring-raw" -> "split-ring protocol alone (driver + device, checks, no thread safety)";
                    case "aeron" -> "Aeron IPC (exclusive publication)";
                    default -> transport;
                }, c[0], aeron == null ? "" : ratio(c[0] / aeron[0]), Double.isNaN(c[1]) ? "" : bytes(c[1]))));
        return b.toString();
    }

    /** Each target: what, the measured figure, and "yes"/"no" (or "not measured"). */
    static List<String[]> targets(Map<String, Row> rows, List<Map<String, @Nullable Object>> rtt,
            List<Map<String, @Nullable Object>> cpu) {
        List<String[]> t = new ArrayList<>();
        Row core = rows.get(CORE);
        Row aeron = rows.get(AERON);
        @Nullable Row reactive = rows.values().stream().filter(r -> r.label.startsWith("rptun reactive")).findFirst()
                .orElse(null);
        Double core64 = core == null ? null : core.ops(64);
        Double aeron64 = aeron == null ? null : aeron.ops(64);
        if (core64 != null && aeron64 != null) {
            double r = core64 / aeron64;
            t.add(new String[] {"rptun core, send() ≥ 1.0× Aeron IPC at 64 B (the first plan's target)", ratio(r),
                met(r >= 1.0)});
        }
        Map<String, @Nullable Object> spin = find(rtt, "rptun-spin");
        Map<String, @Nullable Object> a = find(rtt, "aeron");
        if (spin != null && a != null) {
            double s = Json.number(spin.get("p50"));
            double ae = Json.number(a.get("p50"));
            t.add(new String[] {"rptun busy-spin round-trip p50 ≤ Aeron's",
                String.format(Locale.ROOT, "%.2f µs vs %.2f µs (%s)", s / 1000, ae / 1000, ratio(s / ae)), met(s <= ae)});
        } else {
            t.add(new String[] {"rptun busy-spin round-trip p50 ≤ Aeron's", "", "not measured"});
        }
        Row batch = rows.get(CORE_BATCH);
        Double batch64 = batch == null ? null : batch.ops(64);
        if (batch64 != null && aeron64 != null) {
            double r = batch64 / aeron64;
            t.add(new String[] {"rptun core, trySendBatch of 32 ≥ 1.0× Aeron IPC at 64 B", ratio(r), met(r >= 1.0)});
        } else {
            t.add(new String[] {"rptun core, trySendBatch of 32 ≥ 1.0× Aeron IPC at 64 B", "", "not measured"});
        }
        Row bigBatch = rows.get(CORE_BATCH_BIG_RINGS);
        Double bigBatch64 = bigBatch == null ? null : bigBatch.ops(64);
        if (bigBatch64 != null && aeron64 != null) {
            double r = bigBatch64 / aeron64;
            t.add(new String[] {"rptun core, trySendBatch of 32, 2048-entry rings ≥ 1.0× Aeron IPC at 64 B", ratio(r),
                met(r >= 1.0)});
        }
        if (core64 != null && aeron64 != null) {
            double r = core64 / aeron64;
            t.add(new String[] {"rptun core, one message at a time ≥ 0.5× Aeron IPC at 64 B", ratio(r), met(r >= 0.5)});
        }
        TargetInputs in = targetInputs;
        double[] raw = in.costs().get("vring-raw");
        for (String transport : List.of("rptun", "rptun-batch")) {
            double[] c = in.costs().get(transport);
            String what = "one-thread CPU per message ≤ 1.5× the bare split ring ("
                    + (transport.equals("rptun") ? "one at a time" : "batches of 32") + ")";
            t.add(c == null || raw == null ? new String[] {what, "", "not measured"}
                    : new String[] {what, String.format(Locale.ROOT, "%.1f ns vs %.1f ns (%s)", c[0], raw[0],
                        ratio(c[0] / raw[0])), met(c[0] <= 1.5 * raw[0])});
        }
        t.addAll(in.floods().targets());
        Double reactive64 = reactive == null ? null : reactive.ops(64);
        if (reactive64 != null && core64 != null) {
            double r = reactive64 / core64;
            t.add(new String[] {"rptun reactive ≥ 0.5× rptun core (64 B)", ratio(r), met(r >= 0.5)});
        } else {
            t.add(new String[] {"rptun reactive ≥ 0.5× rptun core (64 B)", "", "not measured"});
        }
        Double coreBytes = core == null ? null : core.bytesPerOp.get(64);
        t.add(coreBytes == null ? new String[] {"core path: 0 B per message", "", "not measured"}
                : new String[] {"core path: 0 B per message", bytes(coreBytes) + " B/msg", met(coreBytes < 1)});
        Double reactiveBytes = reactive == null ? null : reactive.bytesPerOp.get(64);
        t.add(reactiveBytes == null ? new String[] {"reactive path: ≤ 32 B per message", "", "not measured"}
                : new String[] {"reactive path: ≤ 32 B per message", bytes(reactiveBytes) + " B/msg",
                    met(reactiveBytes <= 32)});
        Map<String, @Nullable Object> futex = find(cpu, "futex");
        if (futex != null) {
            double h = Json.number(futex.get("hostPercent"));
            double r = Json.number(futex.get("remotePercent"));
            t.add(new String[] {"idle with futex doorbells: < 1% of a core per side",
                String.format(Locale.ROOT, "host %.2f%%, remote %.2f%%", h, r), met(h < 1 && r < 1)});
        } else {
            t.add(new String[] {"idle with futex doorbells: < 1% of a core per side", "", "not measured"});
        }
        return t;
    }

    static String rttLabel(String mode) {
        return switch (mode) {
            case "rptun-spin" -> "rptun, busy-spin both sides";
            case "rptun-futex" -> "rptun, futex doorbells (back-off) both sides";
            case "aeron" -> "Aeron IPC, busy-polling both sides";
            default -> mode;
        };
    }

    static String idleLabel(String mode) {
        return switch (mode) {
            case "futex" -> "futex doorbells (default back-off)";
            case "busy-spin" -> "busy-spin (for contrast)";
            default -> mode;
        };
    }

    private static String met(boolean yes) {
        return yes ? "yes" : "**no**";
    }

    private static String rate(@Nullable Double opsPerSecond) {
        return opsPerSecond == null ? "" : String.format(Locale.ROOT, "%.2f M", opsPerSecond / 1e6);
    }

    private static String ratio(double r) {
        return String.format(Locale.ROOT, r < 0.1 ? "%.3f×" : "%.2f×", r);
    }

    private static String bytes(@Nullable Double b) {
        if (b == null) {
            return "";
        }
        return b < 0.5 ? "0" : String.format(Locale.ROOT, "%.0f", b);
    }

    // ---------------------------------------------------------------- chart

    static String svg(String machine, Map<String, Row> rows, List<Map<String, @Nullable Object>> rtt,
            List<Map<String, @Nullable Object>> cpu, Map<String, double[]> costs) {
        SvgChart chart = new SvgChart().title("rptun side by side with Aeron IPC and the in-process limits")
                .text(machine);
        List<SvgChart.Group> throughput = new ArrayList<>();
        for (Row r : rows.values()) {
            List<SvgChart.Bar> bars = new ArrayList<>();
            int series = 0;
            for (int payload : new int[] {64, 496}) {
                Double v = r.ops(payload);
                if (v != null) {
                    bars.add(new SvgChart.Bar(series, v / 1e6, rate(v) + " msg/s"));
                }
                series++;
            }
            throughput.add(new SvgChart.Group(r.label, bars));
        }
        chart.panel("One way, two threads: millions of messages per second (median)", List.of("64 B", "496 B"),
                throughput);
        if (!rtt.isEmpty()) {
            List<SvgChart.Group> groups = new ArrayList<>();
            for (Map<String, @Nullable Object> r : rtt) {
                double p50 = Json.number(r.get("p50")) / 1000;
                double p99 = Json.number(r.get("p99")) / 1000;
                groups.add(new SvgChart.Group(rttLabel(Json.string(r.get("mode"))), List.of(
                        new SvgChart.Bar(0, p50, String.format(Locale.ROOT, "p50 %.2f µs", p50)),
                        new SvgChart.Bar(1, p99, String.format(Locale.ROOT, "p99 %.2f µs (p99.9 %.1f µs)", p99,
                                Json.number(r.get("p999")) / 1000)))));
            }
            chart.panel("Round trip between two JVMs, 64 B: microseconds, log scale (shorter is better)",
                    List.of("p50", "p99"), groups, true);
        }
        if (!costs.isEmpty()) {
            List<SvgChart.Group> groups = new ArrayList<>();
            costs.forEach((transport, c) -> groups.add(new SvgChart.Group(switch (transport) {
                case "rptun" -> "rptun core (bare devices)";
                case "rptun-batch" -> "rptun core, batches of 32";
                case "vring" -> "virtio layer alone";
                case "vring-batch" -> "virtio layer alone, batches of 32";
                case "vring-raw" -> "split-ring protocol alone";
                case "aeron" -> "Aeron IPC";
                default -> transport;
            }, List.of(new SvgChart.Bar(0, c[0], String.format(Locale.ROOT, "%.0f ns%s", c[0],
                    Double.isNaN(c[1]) ? "" : ", " + bytes(c[1]) + " B allocated"))))));
            chart.panel("CPU per message on one thread, send + receive, 64 B: nanoseconds (shorter is better)",
                    List.of("ns per message"), groups);
        }
        chart.gap(14).title("Targets");
        for (String[] t : targets(rows, rtt, cpu)) {
            chart.text((t[2].equals("yes") ? "✔ " : t[2].equals("not measured") ? "– " : "✘ ") + t[0] + ": "
                    + t[1] + (t[2].equals("not measured") ? " (not measured)" : ""));
        }
        return chart.render();
    }
}
