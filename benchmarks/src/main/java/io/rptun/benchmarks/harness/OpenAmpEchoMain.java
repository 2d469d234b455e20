package io.rptun.benchmarks.harness;

import io.rptun.test.openamp.CEchoRemote;
import io.rptun.test.openamp.CFloodHost;
import io.rptun.test.openamp.RptunSides;
import java.io.IOException;
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
 * Echoes per second over OpenAMP's Linux demo protocol (the 0x80000-byte shm file, 256-buffer vrings of
 * 512-byte buffers, one 0x01 byte per kick over a UNIX socket), for every pairing of a flood host and an
 * echo remote, each either rptun or the model of OpenAMP's C program ({@code io.rptun.test.openamp}: it looks
 * at its rings only when kicked, and kicks with a blocking one-byte send):
 * <ul>
 * <li>{@code model-model}: the model flood host and the model echo remote (the C-with-C reference);</li>
 * <li>{@code model-rptun}: the model flood host against rptun's echo remote ({@code rptun remote
 *     --openamp-linux}: it answers from its callback with a blocking send);</li>
 * <li>{@code rptun-model}: rptun's host (one application thread sending with blocking sends, the callback
 *     checking each echo, as {@code rptun ping --pipeline}) against the model echo remote;</li>
 * <li>{@code rptun-rptun}: rptun's host against rptun's echo remote;</li>
 * <li>{@code rptun32-model}, {@code rptun32-rptun}: the same with the host sending in batches of 32
 *     ({@code trySendBatch}: as many as TX buffers are free, written in place and published together).</li>
 * </ul>
 * Both sides of a pair run in this JVM (two threads, plus the serving and socket threads). Each round runs
 * every pair once, in this order, on a fresh file and socket: {@code --warmup} echoes, then {@code --count}
 * echoes timed from the first send to the last echo checked. The figure of a pair is the median over
 * {@code --rounds}. Every echo is checked byte for byte.
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp benchmarks/target/benchmarks.jar \
 *      io.rptun.benchmarks.harness.OpenAmpEchoMain [--count 500000] [--warmup 100000] [--size 17] [--rounds 3]
 *      [--json FILE]
 * </pre>
 */
public final class OpenAmpEchoMain {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Duration DEADLINE = Duration.ofMinutes(10);
    private static final List<String> PAIRS = List.of("model-model", "model-rptun", "rptun-model", "rptun-rptun",
            "rptun32-model", "rptun32-rptun");
    /** Messages per publication of the {@code rptun32} host. */
    private static final int BATCH = 32;
    private static int files;

    private OpenAmpEchoMain() {
    }

    public static void main(String[] args) throws Exception {
        long count = 500_000;
        long warmup = 100_000;
        int size = 17;
        int rounds = 3;
        @Nullable Path json = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--count" -> count = Long.parseLong(args[++i]);
                case "--warmup" -> warmup = Long.parseLong(args[++i]);
                case "--size" -> size = Integer.parseInt(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--json" -> json = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        Map<String, double[]> rates = new LinkedHashMap<>();
        Map<String, double[]> cpus = new LinkedHashMap<>();
        for (String pair : PAIRS) {
            rates.put(pair, new double[rounds]);
            cpus.put(pair, new double[rounds]);
        }
        for (int r = 0; r < rounds; r++) {
            for (String pair : PAIRS) {
                double rate = run(pair, size, warmup, count);
                rates.get(pair)[r] = rate;
                cpus.get(pair)[r] = lastCpuMicros;
                System.out.printf(Locale.ROOT, "round %d %-12s %,12.0f echoes/s %6.2f us CPU/echo%n", r + 1, pair,
                        rate, lastCpuMicros);
            }
        }
        double reference = median(rates.get("model-model"));
        System.out.printf(Locale.ROOT, "%n%d echoes of %d bytes per run, median of %d rounds (model = OpenAMP's C"
                + " program's behaviour)%n", count, size, rounds);
        System.out.println("| flood host | echo remote | echoes/s | vs model-model | CPU µs per echo (both sides) |");
        System.out.println("|---|---|---:|---:|---:|");
        List<String> entries = new ArrayList<>();
        for (String pair : PAIRS) {
            double m = median(rates.get(pair));
            String[] sides = pair.split("-");
            double c = median(cpus.get(pair));
            System.out.printf(Locale.ROOT, "| %s | %s | %,.0f | %.2f× | %.2f |%n", sides[0], sides[1], m, m / reference, c);
            entries.add(String.format(Locale.ROOT, "{\"pair\":\"%s\",\"echoesPerSecond\":%.0f,\"cpuMicrosPerEcho\":%.3f,"
                    + "\"rounds\":%s}", pair, m, c, Arrays.toString(rates.get(pair))));
        }
        if (json != null) {
            Files.writeString(json, String.format(Locale.ROOT, "{\"count\":%d,\"size\":%d,\"results\":[%s]}%n", count,
                    size, String.join(",", entries)));
        }
    }

    private static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    /** One pair on a fresh file and socket; returns echoes per second of the timed part. */
    private static double run(String pair, int size, long warmup, long count) throws Exception {
        String id = "rptun-bench-oa-" + ProcessHandle.current().pid() + "-" + (++files);
        Path shm = Path.of("/dev/shm", id + ".shm");
        Path socket = Path.of("/tmp", id + ".sock");
        try {
            return switch (pair) {
                case "model-model", "model-rptun" -> modelHost(pair.endsWith("rptun"), shm, socket, size, warmup, count);
                case "rptun-model", "rptun-rptun" -> rptunHost(pair.endsWith("rptun"), 1, shm, socket, size, warmup,
                        count);
                case "rptun32-model", "rptun32-rptun" -> rptunHost(pair.endsWith("rptun"), BATCH, shm, socket, size,
                        warmup, count);
                default -> throw new IllegalArgumentException(pair);
            };
        } finally {
            deleteQuietly(shm);
            deleteQuietly(socket);
        }
    }

    private static double modelHost(boolean rptunRemote, Path shm, Path socket, int size, long warmup, long count)
            throws Exception {
        try (Remote remote = Remote.start(rptunRemote, shm, socket);
                CFloodHost host = CFloodHost.start(shm, socket, WAIT, WAIT)) {
            host.deadline(DEADLINE);
            host.flood(size, warmup);
            long hostKicks = host.kicksSent();
            long remoteKicks = remote.kicks();
            long c0 = cpuNanosAndThreads();
            long t0 = System.nanoTime();
            host.flood(size, count);
            double rate = count / ((System.nanoTime() - t0) / 1e9);
            cpu(c0, count);
            kicks(host.kicksSent() - hostKicks, remote.kicks() - remoteKicks, count);
            System.out.println("        remote send sleeps: " + remote.sendSleeps());
            host.sendShutdown();
            remote.awaitEnd();
            return rate;
        }
    }

    private static double rptunHost(boolean rptunRemote, int batch, Path shm, Path socket, int size, long warmup,
            long count) throws Exception {
        try (Remote remote = Remote.start(rptunRemote, shm, socket);
                RptunSides.FloodHost host = RptunSides.FloodHost.start(shm, socket, WAIT)) {
            host.floodBatched(size, warmup, batch, DEADLINE);
            long hostKicks = host.device().stats().notificationsSent();
            long remoteKicks = remote.kicks();
            long c0 = cpuNanosAndThreads();
            long t0 = System.nanoTime();
            host.floodBatched(size, count, batch, DEADLINE);
            double rate = count / ((System.nanoTime() - t0) / 1e9);
            cpu(c0, count);
            kicks(host.device().stats().notificationsSent() - hostKicks, remote.kicks() - remoteKicks, count);
            System.out.println("        remote send sleeps: " + remote.sendSleeps());
            host.sendShutdown();
            remote.awaitEnd();
            return rate;
        }
    }

    /** CPU time of this whole process (both sides of the pair, and nothing else runs in it). */
    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private static double lastCpuMicros;

    private static void cpu(long before, long count) {
        lastCpuMicros = (cpuNanos() - before) / 1e3 / count;
        if (Boolean.getBoolean("openamp.threads")) {
            java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
            for (long id : mx.getAllThreadIds()) {
                java.lang.management.ThreadInfo info = mx.getThreadInfo(id);
                long t = mx.getThreadCpuTime(id);
                Long b = threadCpu.get(id);
                if (info != null && t > 0 && b != null && t - b > 1_000_000) {
                    System.out.printf(Locale.ROOT, "          %-28s %6.2f us/echo%n", info.getThreadName(),
                            (t - b) / 1e3 / count);
                }
            }
        }
    }

    private static final Map<Long, Long> threadCpu = new java.util.HashMap<>();

    private static long cpuNanosAndThreads() {
        threadCpu.clear();
        java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        for (long id : mx.getAllThreadIds()) {
            threadCpu.put(id, mx.getThreadCpuTime(id));
        }
        return cpuNanos();
    }

    private static void kicks(long host, long remote, long count) {
        System.out.printf(Locale.ROOT, "        kicks per echo: host %.3f, remote %.3f%n", host / (double) count,
                remote / (double) count);
    }

    /** Either echo remote, listening on {@code socket} once started. */
    private static final class Remote implements AutoCloseable {
        private final RptunSides.@Nullable EchoRemote rptun;
        private final @Nullable CEchoRemote model;
        private final @Nullable CompletableFuture<Void> served;

        private Remote(RptunSides.@Nullable EchoRemote rptun, @Nullable CEchoRemote model,
                @Nullable CompletableFuture<Void> served) {
            this.rptun = rptun;
            this.model = model;
            this.served = served;
        }

        static Remote start(boolean rptun, Path shm, Path socket) {
            if (rptun) {
                return new Remote(RptunSides.EchoRemote.start(shm, socket, WAIT), null, null);
            }
            CEchoRemote m = CEchoRemote.create(shm, socket, WAIT);
            CompletableFuture<Void> f = CompletableFuture.runAsync(() -> {
                m.deadline(DEADLINE.plus(WAIT));
                m.serve(WAIT);
            }, r -> Thread.ofPlatform().daemon().name("c-echo-remote").start(r));
            return new Remote(null, m, f);
        }

        /** Kicks this remote sent so far. */
        long kicks() {
            if (rptun != null) {
                return rptun.device(WAIT).stats().notificationsSent();
            }
            return model == null ? 0 : model.kicksSent();
        }

        /** The model remote's 1 ms sleeps in its blocking send so far (0 for rptun's). */
        long sendSleeps() {
            return model == null ? 0 : model.sendSleeps();
        }

        void awaitEnd() throws Exception {
            if (rptun != null && !rptun.awaitShutdown(WAIT)) {
                throw new IllegalStateException("rptun's echo remote did not see the shutdown message");
            }
            if (served != null) {
                served.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            }
        }

        @Override
        public void close() {
            if (rptun != null) {
                rptun.close();
            }
            if (model != null) {
                model.close();
            }
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // best effort: unique names, nothing else uses them
        }
    }
}
