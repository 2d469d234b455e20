package io.rptun.examples.cli;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.rptun.micrometer.RpmsgDeviceMetrics;
import io.rptun.micrometer.RpmsgReactiveMetrics;
import io.rptun.reactive.RpmsgChannel;
import io.rptun.reactive.RpmsgReactive;
import io.rptun.sim.SimRemote;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** {@code rptun demo}: two JVMs over /dev/shm, an echo channel through the reactive API. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Starts a remote in a second JVM over a file in /dev/shm, opens its echo service as a reactive",
                "channel, measures the round trip one message at a time, then streams messages through it with a live",
                "progress line, prints the throughput, and removes the file and the process (on failure and Ctrl-C too)."})
final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-n", "--messages"}, defaultValue = "200000", description = "messages to stream (default ${DEFAULT-VALUE})")
    int messages;

    @Option(names = "--pings", defaultValue = "2000", description = "round trips to time one by one (default ${DEFAULT-VALUE})")
    int pings;

    @Option(names = {"-l", "--length"}, defaultValue = "64", description = "bytes per message (default ${DEFAULT-VALUE})")
    int length;

    @Option(names = "--busy-spin", description = "both sides busy-spin instead of sleeping in the futex")
    boolean busySpin;

    @Mixin
    RingOptions rings = new RingOptions();

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (messages < 0 || pings < 0 || length < 4) {
            throw new IllegalArgumentException("need --messages >= 0, --pings >= 0, --length >= 4");
        }
        rings.check(); // --vring-num and --buffer-size, before the first line and anything started
        out.println("demo: booting a remote JVM over /dev/shm ...");
        out.flush();
        long t0 = System.nanoTime();
        try (LocalLink link = LocalLink.start("demo", busySpin, rings)) {
            out.printf("demo: remote pid %d is up over %s after %d ms%n", link.remotePid(), link.file(),
                    (System.nanoTime() - t0) / 1_000_000);
            RpmsgReactive rpmsg = RpmsgReactive.create(link.device());
            // The same figures as the stats line at the end, as Micrometer meters (rptun-micrometer).
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            new RpmsgDeviceMetrics(link.device(), "demo").bindTo(registry);
            RpmsgReactiveMetrics channelMetrics = new RpmsgReactiveMetrics(rpmsg, "demo");
            channelMetrics.bindTo(registry);
            RpmsgChannel echo = rpmsg.open(SimRemote.ECHO, Duration.ofSeconds(10)).map(channelMetrics::track)
                    .block(Duration.ofSeconds(20));
            if (echo == null) {
                out.println("demo: no echo channel");
                return ExitCodes.FAILED;
            }
            int len = Math.min(length, echo.maxPayload());
            out.printf("demo: channel '%s' open, 0x%x -> 0x%x, %d-byte messages%n", echo.name(), echo.address(),
                    echo.destination(), len);
            BlockingQueue<Integer> echoes = new LinkedBlockingQueue<>();
            AtomicLong received = new AtomicLong();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            // The message is valid inside onNext only: map() reads the sequence number there.
            Disposable inbound = echo.receive().map(m -> m.getIntLE(0)).subscribe(seq -> {
                received.incrementAndGet();
                if (seq < 0) {
                    echoes.add(-seq - 1);
                }
            }, failure::set);

            Percentiles rtt = new Percentiles();
            for (int i = 0; i < pings; i++) {
                long s = System.nanoTime();
                echo.sendBytes(Mono.just(payload(-i - 1, len))).then().block(Duration.ofSeconds(10));
                Integer back = echoes.poll(10, TimeUnit.SECONDS);
                if (back == null || back != i) {
                    out.println("demo: echo " + i + " did not come back (" + back + ")");
                    return ExitCodes.FAILED;
                }
                rtt.add(System.nanoTime() - s);
            }
            if (pings > 0) {
                out.println("demo: round trip over " + pings + " pings: " + rtt.summary());
            }

            long before = received.get();
            long start = System.nanoTime();
            Disposable progress = Flux.interval(Duration.ofMillis(250)).subscribe(tick -> {
                long n = received.get() - before;
                double secs = (System.nanoTime() - start) / 1e9;
                out.printf("\rdemo: %,d / %,d echoed (%,.0f msg/s)   ", n, messages, n / secs);
                out.flush();
            });
            try {
                echo.sendBytes(Flux.range(0, messages).map(i -> payload(i, len))).then().block(Duration.ofMinutes(5));
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (received.get() - before < messages && System.nanoTime() < deadline && failure.get() == null) {
                    Thread.sleep(5);
                }
            } finally {
                progress.dispose();
            }
            double secs = (System.nanoTime() - start) / 1e9;
            long got = received.get() - before;
            out.printf("%ndemo: streamed %,d messages and got %,d back in %.2f s: %,.0f msg/s, %.1f MB/s each way%n",
                    messages, got, secs, got / secs, got * (double) len / secs / 1e6);
            inbound.dispose();
            echo.close().block(Duration.ofSeconds(10));
            out.println("demo: host " + link.device().stats());
            MeterLines.of(registry).forEach(line -> out.println("demo: meter " + line));
            if (failure.get() != null) {
                out.println("demo: receive failed: " + failure.get().getMessage());
                return ExitCodes.FAILED;
            }
            link.close();
            out.println("demo: stopped; " + (link.cleanedUp() ? "file removed, remote exited" : "CLEAN-UP INCOMPLETE"));
            return got == messages && link.cleanedUp() ? ExitCodes.OK : ExitCodes.FAILED;
        }
    }

    private static byte[] payload(int seq, int len) {
        return ByteBuffer.allocate(len).order(ByteOrder.LITTLE_ENDIAN).putInt(0, seq).array();
    }
}
