package io.rptun.benchmarks.harness;

import io.aeron.ExclusivePublication;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.logbuffer.FragmentHandler;
import io.rptun.benchmarks.AeronIpc;
import io.rptun.benchmarks.SimLink;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.core.rpmsg.RpmsgListener;
import io.rptun.core.rpmsg.RpmsgMessage;
import io.rptun.sim.IdleStrategy;
import io.rptun.sim.SimRemote;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.jspecify.annotations.Nullable;

/**
 * The round trip between two JVMs, as HdrHistogram percentiles: one message goes to a peer in a child JVM
 * and comes back, {@code --warmup} times unrecorded, then {@code --count} times recorded; the next ping
 * leaves as soon as the pong is in.
 * <ul>
 * <li>{@code rptun-spin}: a {@code SimDriver} host here, {@code io.rptun.sim.RemoteMain --echo --busy-spin}
 *     in the child, both serving threads busy-spinning ({@code IdleStrategy.busySpin()}). The host's
 *     serving thread is the pinger: the pong's callback records the time and sends the next ping, as the
 *     remote's echo service answers from its callback. One hot thread per side, as for Aeron.</li>
 * <li>{@code rptun-futex}: the same with the default back-off (spin, yield, park, then the futex) on both
 *     sides: the latency of a link that costs nothing when idle.</li>
 * <li>{@code aeron}: Aeron IPC between the two JVMs (an embedded media driver here, SHARED and backing off,
 *     as in {@link AeronIpc}; {@link AeronPongMain} in the child); the pinger offers on one exclusive
 *     publication and busy-polls the pong subscription, the ponger busy-polls and echoes, Aeron's own
 *     Ping/Pong sample shape.</li>
 * </ul>
 * Both children run with the same JVM options ({@code -XX:+UseSerialGC -Xmx128m}, the simulator's
 * launcher's). Prints a table in microseconds and, with {@code --json FILE}, writes the figures in
 * nanoseconds for {@link ReportMain}.
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED \
 *      -cp benchmarks/target/benchmarks.jar io.rptun.benchmarks.harness.PingPongMain \
 *      [--modes rptun-spin,rptun-futex,aeron] [--warmup 100000] [--count 500000] [--payload 64] [--json FILE]
 * </pre>
 */
public final class PingPongMain {
    /** One mode's histogram of round trips in nanoseconds. */
    record Result(String mode, Histogram histogram) {
    }

    private PingPongMain() {
    }

    public static void main(String[] args) throws Exception {
        List<String> modes = List.of("rptun-spin", "rptun-futex", "aeron");
        int warmup = 100_000;
        int count = 500_000;
        int payload = 64;
        @Nullable Path json = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--modes" -> modes = List.of(args[++i].split(","));
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--count" -> count = Integer.parseInt(args[++i]);
                case "--payload" -> payload = Integer.parseInt(args[++i]);
                case "--json" -> json = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (payload < Long.BYTES || payload > SimLink.BUFFER_SIZE - 16) {
            throw new IllegalArgumentException("--payload must be 8 to 496: " + payload);
        }
        List<Result> results = new ArrayList<>();
        for (String mode : modes) {
            System.out.printf("ping-pong %s: %,d warm-up + %,d recorded round trips of %d bytes%n", mode, warmup,
                    count, payload);
            Histogram h = switch (mode) {
                case "rptun-spin" -> rptun(true, warmup, count, payload);
                case "rptun-futex" -> rptun(false, warmup, count, payload);
                case "aeron" -> aeron(warmup, count, payload);
                default -> throw new IllegalArgumentException("mode " + mode + " (rptun-spin, rptun-futex, aeron)");
            };
            results.add(new Result(mode, h));
        }
        System.out.println();
        System.out.println(table(results));
        if (json != null) {
            write(json, payload, results);
        }
    }

    // ---------------------------------------------------------------- rptun

    /** The host's serving thread pings from the pong's callback; the main thread only starts and waits. */
    static final class Pinger implements RpmsgListener {
        private final Histogram histogram;
        private final int warmup;
        private final int total;
        private final MemorySegment message;
        private final CountDownLatch done = new CountDownLatch(1);
        private int pongs;
        private long sentAt;
        private volatile @Nullable RuntimeException failure;

        Pinger(Histogram histogram, int warmup, int count, MemorySegment message) {
            this.histogram = histogram;
            this.warmup = warmup;
            this.total = warmup + count;
            this.message = message;
        }

        void first(RpmsgEndpoint ep) {
            sentAt = System.nanoTime();
            ep.send(message);
        }

        @Override
        public void onMessage(RpmsgEndpoint ep, RpmsgMessage msg) {
            long now = System.nanoTime();
            if (pongs++ >= warmup) {
                histogram.recordValue(now - sentAt);
            }
            if (pongs < total) {
                try {
                    sentAt = System.nanoTime();
                    ep.send(message);
                } catch (RuntimeException e) {
                    failure = e;
                    done.countDown();
                }
            } else {
                done.countDown();
            }
        }
    }

    static Histogram rptun(boolean spin, int warmup, int count, int payload) throws InterruptedException {
        IdleStrategy idle = spin ? IdleStrategy.busySpin() : IdleStrategy.backoff();
        List<String> remoteArgs = spin ? List.of("--echo", "--busy-spin") : List.of("--echo");
        Histogram histogram = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
        try (SimLink link = SimLink.childJvm("pingpong", idle, remoteArgs, ProcessBuilder.Redirect.INHERIT);
                Arena arena = Arena.ofShared()) {
            MemorySegment message = arena.allocate(payload).fill((byte) 0x5a);
            Pinger pinger = new Pinger(histogram, warmup, count, message);
            RpmsgEndpoint ep = link.device().createEndpoint(SimRemote.ECHO, pinger);
            if (!ep.awaitBound(Duration.ofSeconds(30))) {
                throw new IllegalStateException(SimRemote.ECHO + " not bound");
            }
            pinger.first(ep);
            if (!pinger.done.await(60 + (warmup + count) / 1000, TimeUnit.SECONDS)) {
                throw new IllegalStateException("ping-pong stalled after " + pinger.pongs + " round trips: "
                        + link.device().dump());
            }
            RuntimeException failure = pinger.failure;
            if (failure != null) {
                throw failure;
            }
        }
        return histogram;
    }

    // ---------------------------------------------------------------- aeron

    static Histogram aeron(int warmup, int count, int payload) throws IOException, InterruptedException {
        Histogram histogram = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
        try (AeronIpc aeron = AeronIpc.launch("pingpong");
                ExclusivePublication ping = aeron.aeron().addExclusivePublication(AeronIpc.CHANNEL,
                        AeronPongMain.PING_STREAM);
                Subscription pong = aeron.aeron().addSubscription(AeronIpc.CHANNEL, AeronPongMain.PONG_STREAM)) {
            Process child = new ProcessBuilder(childCommand(AeronPongMain.class, aeron.dir()))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.INHERIT).start();
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (!ping.isConnected() || !pong.isConnected()) {
                    if (System.nanoTime() - deadline > 0 || !child.isAlive()) {
                        throw new IllegalStateException("the aeron pong did not connect");
                    }
                    Thread.sleep(1);
                }
                UnsafeBuffer message = new UnsafeBuffer(BufferUtil.allocateDirectAligned(payload, 64));
                message.setMemory(0, payload, (byte) 0x5a);
                long[] received = new long[1];
                FragmentHandler onPong = (buffer, offset, length, header) -> received[0] = buffer.getLong(offset);
                for (int i = 0; i < warmup + count; i++) {
                    long sentAt = System.nanoTime();
                    message.putLong(0, sentAt);
                    offer(ping, message, payload);
                    while (pong.poll(onPong, 1) == 0) {
                        Thread.onSpinWait();
                    }
                    long now = System.nanoTime();
                    if (received[0] != sentAt) {
                        throw new IllegalStateException("pong " + i + " echoed " + received[0] + ", not " + sentAt);
                    }
                    if (i >= warmup) {
                        histogram.recordValue(now - sentAt);
                    }
                }
                offer(ping, message, 1); // the end
                if (!child.waitFor(10, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("the aeron pong did not exit");
                }
            } finally {
                if (child.isAlive()) {
                    child.destroyForcibly();
                    child.waitFor(10, TimeUnit.SECONDS);
                }
            }
        }
        return histogram;
    }

    private static void offer(ExclusivePublication publication, UnsafeBuffer message, int length) {
        long result;
        while ((result = publication.offer(message, 0, length)) < 0) {
            if (result == Publication.CLOSED || result == Publication.NOT_CONNECTED
                    || result == Publication.MAX_POSITION_EXCEEDED) {
                throw new IllegalStateException("ping offer failed: " + Publication.errorString(result));
            }
            Thread.onSpinWait();
        }
    }

    /** A JVM like the simulator's remote: this java and class path, serial GC, a 128 MiB heap. */
    static List<String> childCommand(Class<?> main, String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", AeronIpc.ADD_EXPORTS, "-XX:+UseSerialGC", "-Xmx128m", "-cp",
                System.getProperty("java.class.path"), main.getName()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    // ---------------------------------------------------------------- output

    static String table(List<Result> results) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%-12s %10s %9s %9s %9s %9s %9s %9s%n", "round trip", "count", "p50 µs",
                "p90 µs", "p99 µs", "p99.9 µs", "max µs", "mean µs"));
        for (Result r : results) {
            Histogram h = r.histogram();
            b.append(String.format(Locale.ROOT, "%-12s %10d %9.2f %9.2f %9.2f %9.2f %9.2f %9.2f%n", r.mode(),
                    h.getTotalCount(), us(h.getValueAtPercentile(50)), us(h.getValueAtPercentile(90)),
                    us(h.getValueAtPercentile(99)), us(h.getValueAtPercentile(99.9)), us(h.getMaxValue()),
                    h.getMean() / 1000.0));
        }
        return b.toString();
    }

    private static double us(long nanos) {
        return nanos / 1000.0;
    }

    private static void write(Path file, int payload, List<Result> results) throws IOException {
        StringBuilder b = new StringBuilder("{\"payload\": ").append(payload).append(", \"results\": [");
        for (int i = 0; i < results.size(); i++) {
            Histogram h = results.get(i).histogram();
            b.append(i == 0 ? "\n" : ",\n").append(String.format(Locale.ROOT,
                    "  {\"mode\": %s, \"count\": %d, \"p50\": %d, \"p90\": %d, \"p99\": %d, \"p999\": %d,"
                            + " \"max\": %d, \"mean\": %.1f}",
                    Json.quote(results.get(i).mode()), h.getTotalCount(), h.getValueAtPercentile(50),
                    h.getValueAtPercentile(90), h.getValueAtPercentile(99), h.getValueAtPercentile(99.9),
                    h.getMaxValue(), h.getMean()));
        }
        b.append("\n]}\n");
        Files.writeString(file, b.toString());
    }
}
