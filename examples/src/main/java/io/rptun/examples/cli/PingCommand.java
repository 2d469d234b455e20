package io.rptun.examples.cli;

import io.rptun.core.lifecycle.Rptun;
import io.rptun.core.lifecycle.RptunOptions;
import io.rptun.core.nuttx.NuttxPing;
import io.rptun.core.nuttx.NuttxServiceException;
import io.rptun.core.nuttx.PingRequest;
import io.rptun.core.nuttx.PingResult;
import io.rptun.core.openamp.OpenAmpLinuxProfile;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.core.rpmsg.RpmsgBatchWriter;
import io.rptun.core.rpmsg.RpmsgTxBuffer;
import io.rptun.sim.NuttxSimDriver;
import io.rptun.sim.NuttxSimLayout;
import io.rptun.sim.NuttxSimOptions;
import io.rptun.sim.OpenAmpLinuxDriver;
import org.jspecify.annotations.Nullable;
import java.io.PrintWriter;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code rptun ping}: NuttX's {@code rpmsg ping <times> <length> <ack> <sleep_ms>} ({@link NuttxPing}, the
 * current protocol) against a simulated remote in a second JVM (which answers it as NuttX does), or
 * against OpenAMP's C echo remote with {@code --openamp-linux} (cookie-first echo messages); then a
 * pipelined phase for throughput.
 */
@Command(name = "ping", mixinStandardHelpOptions = true,
        description = {"Pings a remote like NuttX's 'rpmsg ping <times> <length> <ack> <sleep_ms>', and better:",
                "min/avg/max and p50/p99/p99.9 of the round trip, then pipelined throughput.",
                "Without --openamp-linux it boots a simulated remote in a second JVM over /dev/shm and removes it after."})
final class PingCommand implements Callable<Integer> {
    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(10);

    @Spec
    CommandSpec spec;

    @Option(names = {"-n", "--times"}, defaultValue = "1000", description = "pings to send one by one (default ${DEFAULT-VALUE})")
    int times;

    @Option(names = {"-l", "--length"}, defaultValue = "64",
            description = "message length in bytes, NuttX's 16-byte ping header included, at least 17 (default ${DEFAULT-VALUE})")
    int length;

    @Option(names = "--ack", defaultValue = "1",
            description = {"NuttX's <ack>, flag bits: 1 ACK (wait for each answer), 2 CHECK (the peer checks the fill pattern),",
                    "4 RANDOMLEN (random lengths below --length); 3 = answered and checked (default ${DEFAULT-VALUE})"})
    int ack;

    @Option(names = "--sleep", defaultValue = "0", description = "milliseconds between pings (default ${DEFAULT-VALUE})")
    int sleepMs;

    @Option(names = "--random", description = "random lengths from 17 to below --length (the RANDOMLEN bit of --ack)")
    boolean random;

    @Option(names = "--pipeline", defaultValue = "20000",
            description = "messages in the pipelined throughput phase, 0 to skip (default ${DEFAULT-VALUE})")
    int pipeline;

    @Option(names = "--pipeline-batch", defaultValue = "" + NuttxPing.PIPELINE_BATCH,
            description = "at most this many pipelined pings per publication, 1 for one at a time (default ${DEFAULT-VALUE})")
    int pipelineBatch;

    @Option(names = "--busy-spin", description = "both sides busy-spin instead of sleeping in the futex (lowest latency, a core each)")
    boolean busySpin;

    @Mixin
    RingOptions rings = new RingOptions();

    @Option(names = "--wait-ms", defaultValue = "10000",
            description = "with --openamp-linux or --nuttx-sim: how long to wait for the peer (default ${DEFAULT-VALUE})")
    long waitMs;

    @Option(names = "--openamp-linux", description = "ping OpenAMP's Linux echo remote over its shared file and socket")
    boolean openAmp;

    @Option(names = "--nuttx-sim", description = {"ping NuttX's simulator: rptun attaches as its proxy to a running NuttX",
            "server over --shm (default /dev/shm/server-proxy); with --server, rptun is the server and a NuttX proxy attaches"})
    boolean nuttx;

    @Option(names = "--server", description = "with --nuttx-sim: be the server (create --shm, wait for NuttX's proxy)")
    boolean asServer;

    @Option(names = "--shm", description = "with --openamp-linux (default " + OpenAmpLinuxProfile.SHM_PATH
            + ") or --nuttx-sim (default " + NuttxSimLayout.DEFAULT_PATH + ")")
    @Nullable Path shm;

    @Option(names = "--socket", defaultValue = OpenAmpLinuxProfile.SOCKET_PATH, description = "with --openamp-linux (default ${DEFAULT-VALUE})")
    Path socket;

    /** Echo mode: the cookies of the answers as the listener saw them (-1 for a message too short). */
    private final BlockingQueue<Long> answers = new ArrayBlockingQueue<>(1 << 16);
    private final AtomicLong answered = new AtomicLong();

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (times < 1 || length < 1 || ack < 0 || ack > NuttxPing.FLAGS_MASK || sleepMs < 0 || pipeline < 0
                || pipelineBatch < 1) {
            throw new IllegalArgumentException("need --times >= 1, --length >= 1, --ack 0..7, --sleep >= 0, --pipeline >= 0,"
                    + " --pipeline-batch >= 1");
        }
        if (openAmp && nuttx) {
            throw new IllegalArgumentException("--openamp-linux and --nuttx-sim exclude each other");
        }
        if (openAmp || nuttx) {
            rings.refuseAgainst(openAmp ? "OpenAMP's demo" : "NuttX's simulator", false);
        }
        if (openAmp) {
            Path file = shm != null ? shm : Path.of(OpenAmpLinuxProfile.SHM_PATH);
            OpenAmpLinuxDriver driver = OpenAmpLinuxDriver.host(file, socket, Duration.ofMillis(waitMs));
            try (Rptun host = Rptun.create(driver, RptunOptions.defaults().withReadyCommand(false))) {
                RpmsgDevice device = host.start();
                out.println("ping: OpenAMP Linux remote over " + file + " and " + socket);
                return echoPing(out, device, OpenAmpLinuxProfile.ENDPOINT_NAME);
            }
        }
        if (nuttx) {
            NuttxSimOptions o = NuttxSimOptions.defaults().withAttachTimeout(Duration.ofMillis(waitMs));
            o = o.withPath(shm != null ? shm : o.path());
            NuttxSimDriver driver = asServer ? NuttxSimDriver.server(o) : NuttxSimDriver.proxy(o);
            try (Rptun link = Rptun.create(driver, RptunOptions.defaults().withReadyCommand(false)
                    .withReadyTimeout(Duration.ofMillis(waitMs)).withMailboxTimeout(Duration.ofMillis(500)))) {
                RpmsgDevice device = link.start();
                out.println("ping: NuttX's " + (asServer ? o.remoteName() : o.hostName()) + " over " + o.path()
                        + " (rptun is the " + driver.localCpuName() + ")");
                return nuttxPing(out, device);
            }
        }
        try (LocalLink link = LocalLink.start("ping", busySpin, rings)) {
            out.println("ping: simulated remote (pid " + link.remotePid() + ") over " + link.file()
                    + (busySpin ? ", busy-spin" : ", futex doorbells"));
            return nuttxPing(out, link.device());
        }
    }

    /** NuttX's {@code rpmsg ping} over {@link NuttxPing}, then the pipelined phase. */
    private int nuttxPing(PrintWriter out, RpmsgDevice device) {
        int flags = ack | (random ? NuttxPing.RANDOMLEN : 0);
        try (NuttxPing ping = NuttxPing.open(device)) {
            if (!ping.awaitBound(Duration.ofSeconds(10))) {
                out.println("ping: the remote never announced '" + NuttxPing.NAME + "'");
                return ExitCodes.FAILED;
            }
            Percentiles rtt = new Percentiles();
            PingResult r;
            try {
                r = ping.ping(new PingRequest(times, length, flags, Duration.ofMillis(sleepMs), ANSWER_TIMEOUT),
                        (i, len, nanos, ok) -> rtt.add(nanos));
            } catch (NuttxServiceException e) {
                out.println("ping: " + e.getMessage());
                return ExitCodes.FAILED;
            }
            int max = Math.min(length, r.bufferLength());
            out.println("ping times: " + times + ((flags & NuttxPing.RANDOMLEN) != 0 ? ", random lengths up to " + max
                    : ", " + r.lastLength() + " bytes each") + " (buffer " + r.bufferLength() + ")");
            if ((flags & NuttxPing.ACK) != 0) {
                out.println("round trip: " + rtt.summary());
                out.printf("rate: %.3f Mbits/sec (NuttX's figure: the last ping's bits over the average round trip)%n",
                        r.rateMbits());
            }
            if (r.mismatched() > 0) {
                out.println("ping: " + r.mismatched() + " answers did not match (not the echo of their ping)");
            }
            long badData = ping.counters().drops().count(NuttxServiceException.Reason.BAD_DATA);
            if (pipeline > 0) {
                long t0 = System.nanoTime();
                int got = ping.pipelined(pipeline, max, pipelineBatch, Duration.ofSeconds(60));
                printPipelined(out, got, System.nanoTime() - t0, max);
                if (got != pipeline) {
                    return ExitCodes.FAILED;
                }
                if (ping.counters().drops().count(NuttxServiceException.Reason.BAD_DATA) > badData) {
                    out.println("ping: pipelined answers did not match");
                    return ExitCodes.FAILED;
                }
            }
            return r.mismatched() == 0 ? ExitCodes.OK : ExitCodes.FAILED;
        }
    }

    /** OpenAMP's echo: each message carries its cookie in its first 8 bytes and comes back as it went. */
    private int echoPing(PrintWriter out, RpmsgDevice device, String service) throws InterruptedException {
        RpmsgEndpoint ep = device.createEndpoint(service, (e, msg) -> {
            answered.incrementAndGet();
            answers.offer(msg.length() >= 8 ? msg.payload().get(ValueLayout.JAVA_LONG_UNALIGNED, 0) : -1L);
        });
        if (!ep.awaitBound(Duration.ofSeconds(10))) {
            out.println("ping: the remote never announced '" + service + "'");
            return ExitCodes.FAILED;
        }
        boolean wait = (ack & NuttxPing.ACK) != 0;
        int max = Math.min(length, ep.maxPayload());
        Percentiles rtt = new Percentiles();
        long bytes = 0;
        int failures = 0;
        for (int i = 0; i < times; i++) {
            int len = random ? ThreadLocalRandom.current().nextInt(Math.min(8, max), max + 1) : max;
            long t0 = System.nanoTime();
            len = send(ep, len, i);
            bytes += len;
            if (wait) {
                Long cookie = answers.poll(ANSWER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                if (cookie == null) {
                    out.println("ping: no answer to ping " + i + " within " + ANSWER_TIMEOUT);
                    return ExitCodes.FAILED;
                }
                if (cookie != i) {
                    failures++;
                }
                rtt.add(System.nanoTime() - t0);
            }
            if (sleepMs > 0) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(sleepMs));
            }
        }
        out.println("ping times: " + times + (random ? ", random lengths up to " + max : ", " + max + " bytes each"));
        if (wait) {
            out.println("round trip: " + rtt.summary());
            out.printf("rate: %.3f Mbits/sec (NuttX's figure: bytes per ping over the average round trip)%n",
                    bytes * 8.0 / times / (avgNanos(rtt, times) / 1e9) / 1e6);
        }
        if (failures > 0) {
            out.println("ping: " + failures + " answers did not match");
        }
        answers.clear();
        if (pipeline > 0) {
            int code = pipelined(out, ep, max);
            if (code != ExitCodes.OK) {
                return code;
            }
        }
        return failures == 0 ? ExitCodes.OK : ExitCodes.FAILED;
    }

    private static double avgNanos(Percentiles p, int n) {
        return Math.max(1, p.totalNanos() / (double) n);
    }

    /** Echo mode: sends {@code pipeline} messages without waiting in between; rate of answers. */
    private int pipelined(PrintWriter out, RpmsgEndpoint ep, int len) throws InterruptedException {
        answers.clear();
        long before = answered.get();
        long t0 = System.nanoTime();
        Thread drain = Thread.ofPlatform().daemon().start(() -> {
            for (int i = 0; i < pipeline; i++) {
                try {
                    if (answers.poll(ANSWER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS) == null) {
                        return;
                    }
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        // In batches of up to --pipeline-batch, written in place and published together; with no TX buffer
        // free, one plain send waits for one.
        long[] next = {0};
        RpmsgBatchWriter writer = payload -> {
            if (next[0] == pipeline) {
                return RpmsgBatchWriter.NO_MORE;
            }
            int n = (int) Math.min(Math.max(len, 8), payload.byteSize());
            payload.asSlice(0, n).fill((byte) 0);
            payload.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, next[0]++);
            return n;
        };
        while (next[0] < pipeline) {
            if (ep.trySendBatch(writer, (int) Math.min(pipelineBatch, pipeline - next[0])) == 0) {
                send(ep, len, next[0]++);
            }
        }
        drain.join(Duration.ofSeconds(60));
        long got = answered.get() - before;
        printPipelined(out, got, System.nanoTime() - t0, len);
        return got == pipeline ? ExitCodes.OK : ExitCodes.FAILED;
    }

    private void printPipelined(PrintWriter out, long got, long nanos, int len) {
        double secs = nanos / 1e9;
        out.printf("pipelined: %d of %d answered in %.3f s: %.0f msg/s, %.1f MB/s each way (%d-byte messages)%n", got,
                pipeline, secs, got / secs, got * (double) len / secs / 1e6, len);
    }

    /** One echo message: the cookie, then zeros. */
    private static int send(RpmsgEndpoint ep, int len, long cookie) {
        RpmsgTxBuffer tx = ep.txBuffer();
        MemorySegment p = tx.payload();
        int n = (int) Math.min(Math.max(len, 8), p.byteSize());
        p.asSlice(0, n).fill((byte) 0);
        p.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, cookie);
        tx.send(n);
        return n;
    }
}
