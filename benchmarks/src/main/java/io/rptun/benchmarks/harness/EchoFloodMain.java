package io.rptun.benchmarks.harness;

import io.rptun.benchmarks.SimLink;
import io.rptun.core.lifecycle.Rptun;
import io.rptun.core.lifecycle.RptunOptions;
import io.rptun.core.nuttx.NuttxPing;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgStats;
import io.rptun.sim.IdleStrategy;
import io.rptun.sim.NuttxSimDriver;
import io.rptun.sim.NuttxSimOptions;
import io.rptun.test.nuttx.NuttxModelOptions;
import io.rptun.test.nuttx.NuttxProxyModel;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Echo floods over each doorbell rptun has, 17-byte echoes per second: NuttX's ping protocol pipelined
 * ({@link NuttxPing#pipelined(int, int, int, Duration)}: the requester sends without waiting, the responder
 * answers each ping from its callback, every answer is checked), once with one ping per publication and
 * once in batches of {@value #BATCH}, side by side in one run:
 * <ul>
 * <li>{@code futex}: rptun's simulator, host and simulated remote in this JVM over a {@code /dev/shm} file,
 *     each side sleeping in a futex when idle;</li>
 * <li>{@code counter}: NuttX's simulator transport ({@code NuttxSimDriver}), rptun as server and as proxy,
 *     each noticing the other's notification counter when it looks;</li>
 * <li>{@code counter, NuttX model}: rptun's server against the model of NuttX's proxy
 *     ({@code io.rptun.test.nuttx}), which looks at its rings every 10 ms as NuttX's simulator does: a
 *     fraction of the others by design, it shows what a polled peer allows.</li>
 * </ul>
 * The UNIX-socket doorbell (OpenAMP's Linux demo) has its own harness, {@link OpenAmpEchoMain}, with the
 * model of OpenAMP's kick-driven C programs beside rptun.
 *
 * <p>Each round runs every row once on a fresh file: {@code --warmup} echoes, then {@code --count} timed
 * from the first send to the last answer. The figure is the median over {@code --rounds}; CPU is the whole
 * process's per echo (both sides live in this JVM).
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp benchmarks/target/benchmarks.jar \
 *      io.rptun.benchmarks.harness.EchoFloodMain [--count 1000000] [--warmup 200000] [--rounds 3] [--json FILE]
 * </pre>
 */
public final class EchoFloodMain {
    static final int SIZE = 17;
    static final int BATCH = NuttxPing.PIPELINE_BATCH;
    private static final Duration WAIT = Duration.ofSeconds(30);
    /** The NuttX model answers every 10 ms: its rows run this fraction of the others' echoes. */
    private static final int MODEL_DIVISOR = 50;

    private record Row(String doorbell, String peer, int batch) {
        String key() {
            return doorbell + " | " + peer + " | " + (batch == 1 ? "1 (one per publication)" : batch);
        }
    }

    private static final List<Row> ROWS = List.of(
            new Row("futex", "rptun", 1), new Row("futex", "rptun", BATCH),
            new Row("counter", "rptun", 1), new Row("counter", "rptun", BATCH),
            new Row("counter", "NuttX proxy model (polls every 10 ms)", BATCH));

    private EchoFloodMain() {
    }

    public static void main(String[] args) throws Exception {
        int count = 1_000_000;
        int warmup = 200_000;
        int rounds = 3;
        @Nullable Path json = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--count" -> count = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--json" -> json = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        Map<Row, double[]> rates = new LinkedHashMap<>();
        Map<Row, double[]> cpus = new LinkedHashMap<>();
        for (Row row : ROWS) {
            rates.put(row, new double[rounds]);
            cpus.put(row, new double[rounds]);
        }
        for (int r = 0; r < rounds; r++) {
            for (Row row : ROWS) {
                boolean model = row.peer().startsWith("NuttX");
                int n = model ? Math.max(1, count / MODEL_DIVISOR) : count;
                int w = model ? Math.max(1, warmup / MODEL_DIVISOR) : warmup;
                double[] result = run(row, w, n);
                rates.get(row)[r] = result[0];
                cpus.get(row)[r] = result[1];
                System.out.printf(Locale.ROOT, "round %d %-60s %,12.0f echoes/s %6.2f us CPU/echo%n", r + 1, row.key(),
                        result[0], result[1]);
            }
        }
        System.out.printf(Locale.ROOT, "%n%d echoes of %d bytes per row (1/%d for the NuttX model), median of %d"
                + " rounds%n", count, SIZE, MODEL_DIVISOR, rounds);
        System.out.println("| doorbell | peer | pings per publication | echoes/s | CPU µs per echo (both sides) |");
        System.out.println("|---|---|---|---:|---:|");
        List<String> entries = new ArrayList<>();
        for (Row row : ROWS) {
            double m = median(rates.get(row));
            double c = median(cpus.get(row));
            System.out.printf(Locale.ROOT, "| %s | %,.0f | %.2f |%n", row.key(), m, c);
            entries.add(String.format(Locale.ROOT, "{\"doorbell\":\"%s\",\"peer\":\"%s\",\"batch\":%d,"
                    + "\"echoesPerSecond\":%.0f,\"cpuMicrosPerEcho\":%.3f,\"rounds\":%s}", row.doorbell(), row.peer(),
                    row.batch(), m, c, Arrays.toString(rates.get(row))));
        }
        if (json != null) {
            Files.writeString(json, String.format(Locale.ROOT, "{\"count\":%d,\"size\":%d,\"results\":[%s]}%n", count,
                    SIZE, String.join(",", entries)));
        }
    }

    /** One row on a fresh file: {echoes per second, CPU microseconds per echo}. */
    private static double[] run(Row row, int warmup, int count) throws Exception {
        return switch (row.doorbell()) {
            case "futex" -> futex(row.batch(), warmup, count);
            case "counter" -> row.peer().startsWith("NuttX") ? counterWithModel(row.batch(), warmup, count)
                    : counter(row.batch(), warmup, count);
            default -> throw new IllegalArgumentException(row.doorbell());
        };
    }

    private static double[] futex(int batch, int warmup, int count) throws Exception {
        try (SimLink link = SimLink.inProcess("flood", IdleStrategy.backoff(), IdleStrategy.backoff(), device -> { })) {
            return flood(link.device(), batch, warmup, count);
        }
    }

    /** The rptun server creates the file and deletes it (only that file, by its inode) when it closes. */
    private static double[] counter(int batch, int warmup, int count) throws Exception {
        Path file = SimLink.freshPath("flood-nuttx");
        NuttxSimOptions o = NuttxSimOptions.defaults().withPath(file).withAttachTimeout(WAIT);
        try (Rptun server = Rptun.create(NuttxSimDriver.server(o), RptunOptions.defaults().withReadyTimeout(WAIT)
                .withReadyCommand(false))) {
            // The proxy attaches to a booted server: start the server first, on a thread of its own (its start
            // returns once the proxy is up).
            CompletableFuture<RpmsgDevice> up = CompletableFuture.supplyAsync(server::start);
            try (Rptun proxy = Rptun.create(NuttxSimDriver.proxy(o), RptunOptions.defaults().withReadyTimeout(WAIT))) {
                RpmsgDevice proxyDevice = proxy.start();
                proxyDevice.createEndpoint(NuttxPing.NAME, NuttxPing.responder(new NuttxPing.Counters()));
                return flood(up.get(WAIT.toSeconds(), TimeUnit.SECONDS), batch, warmup, count);
            }
        }
    }

    private static double[] counterWithModel(int batch, int warmup, int count) throws Exception {
        Path file = SimLink.freshPath("flood-nuttx-model");
        NuttxSimOptions o = NuttxSimOptions.defaults().withPath(file).withAttachTimeout(WAIT);
        try (Rptun server = Rptun.create(NuttxSimDriver.server(o), RptunOptions.defaults().withReadyTimeout(WAIT)
                .withReadyCommand(false).withMailboxTimeout(Duration.ofMillis(300)));
                NuttxProxyModel proxy = new NuttxProxyModel(file, NuttxModelOptions.defaults())) {
            CompletableFuture<RpmsgDevice> up = CompletableFuture.supplyAsync(server::start);
            proxy.start();
            return flood(up.get(WAIT.toSeconds(), TimeUnit.SECONDS), batch, warmup, count);
        }
    }

    /** Warm-up, then the timed flood; fails if an answer is missing or wrong. */
    private static double[] flood(RpmsgDevice device, int batch, int warmup, int count) {
        try (NuttxPing ping = NuttxPing.open(device)) {
            if (!ping.awaitBound(WAIT)) {
                throw new IllegalStateException("the peer never announced " + NuttxPing.NAME);
            }
            check(ping, ping.pipelined(warmup, SIZE, batch, WAIT), warmup);
            RpmsgStats before = device.stats();
            long c0 = cpuNanos();
            long t0 = System.nanoTime();
            int got = ping.pipelined(count, SIZE, batch, WAIT);
            long nanos = System.nanoTime() - t0;
            long cpu = cpuNanos() - c0;
            check(ping, got, count);
            RpmsgStats after = device.stats();
            // How the requester's side batched: pings per TX publication, answers per RX buffers given back.
            System.out.printf(Locale.ROOT, "        (pings per publication %d) requester: %.1f pings per publication, %.1f answers per return of"
                    + " RX buffers, %.3f kicks sent and %.3f wake-ups per echo%n", batch,
                    (after.sent() - before.sent()) / (double) Math.max(1, after.txPublications() - before.txPublications()),
                    (after.received() - before.received())
                            / (double) Math.max(1, after.rxPublications() - before.rxPublications()),
                    (after.notificationsSent() - before.notificationsSent()) / (double) count,
                    (after.notificationsReceived() - before.notificationsReceived()) / (double) count);
            return new double[] {count / (nanos / 1e9), cpu / 1e3 / count};
        }
    }

    private static void check(NuttxPing ping, int got, int count) {
        long bad = ping.counters().drops().total();
        if (got != count || bad != 0) {
            throw new IllegalStateException(got + " of " + count + " answered, " + bad + " dropped or wrong: "
                    + ping.counters().drops());
        }
    }

    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }
}
