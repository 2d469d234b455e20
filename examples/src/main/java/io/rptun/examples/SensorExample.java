package io.rptun.examples;

import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.core.rpmsg.RpmsgException;
import io.rptun.core.rpmsg.RpmsgListener;
import io.rptun.reactive.ReactiveOptions;
import io.rptun.reactive.RpmsgChannel;
import io.rptun.reactive.RpmsgReactive;
import io.rptun.sim.RemoteServices;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.publisher.Mono;

/**
 * A remote "sensor" in a second JVM streams readings on one endpoint and answers commands on another; the
 * host consumes the readings slowly through the reactive API, and the sensor is slowed down through the
 * rings instead of anything piling up: {@code ./rptun example sensor}. Half-way, the example asks the
 * sensor how far it got and shows {@code rptun dump} of the live file.
 *
 * <p>The readings channel lags by design, so it gets a small copy budget (16 KiB instead of the default
 * 256 KiB, which would take most of the 2,000 readings): past its 16 held messages and that budget it pauses
 * the link, and the sensor waits for TX buffers.
 */
public final class SensorExample {
    /** Where readings come from: {u32 seq, u32 0, f64 value}, little-endian. */
    public static final String READINGS = "sensor-readings";
    /** Text commands: "status" answers "produced N". */
    public static final String CONTROL = "sensor-control";
    /** Readings the sensor produces. */
    public static final int COUNT = 2000;

    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private SensorExample() {
    }

    /** The sensor, on the remote. */
    public static final class Sensor implements RemoteServices {
        private final AtomicLong produced = new AtomicLong();
        private final AtomicBoolean started = new AtomicBoolean();

        @Override
        public void register(RpmsgDevice device) {
            device.createEndpoint(READINGS, new RpmsgListener() {
                @Override
                public void onMessage(RpmsgEndpoint ep, io.rptun.core.rpmsg.RpmsgMessage msg) {
                }

                @Override
                public void onBound(RpmsgEndpoint ep) {
                    // The host opened the readings: produce as fast as the rings let us (send waits for a
                    // TX buffer, which the host gives back only as fast as its subscriber consumes).
                    if (started.compareAndSet(false, true)) {
                        Thread.ofPlatform().daemon().name("sensor").start(() -> produce(ep));
                    }
                }
            });
            device.createEndpoint(CONTROL, (ep, msg) -> {
                String reply = "status".equals(msg.asString()) ? "produced " + produced.get() : "unknown command";
                ep.sendTo(msg.src(), reply.getBytes(StandardCharsets.UTF_8));
            });
        }

        private void produce(RpmsgEndpoint ep) {
            byte[] reading = new byte[16];
            ByteBuffer b = ByteBuffer.wrap(reading).order(ByteOrder.LITTLE_ENDIAN);
            try {
                for (int i = 0; i < COUNT; i++) {
                    b.putInt(0, i).putDouble(8, 20 + 5 * Math.sin(i / 50.0));
                    ep.send(reading);
                    produced.incrementAndGet();
                }
            } catch (RpmsgException stopped) {
                // the host went away
            }
        }
    }

    /** Runs the host side; returns 0 when every reading arrived in order and the sensor was held back. */
    public static int run(PrintWriter out, java.util.function.Function<java.nio.file.Path, String> dumper) {
        try (ExampleLink link = ExampleLink.start("sensor", Sensor.class)) {
            RpmsgReactive rpmsg = RpmsgReactive.create(link.host(), ReactiveOptions.defaults().withCopyBudget(16 * 1024));
            RpmsgChannel control = rpmsg.open(CONTROL, Duration.ofSeconds(10)).block();
            RpmsgChannel readings = rpmsg.open(READINGS, Duration.ofSeconds(10)).block();
            AtomicInteger next = new AtomicInteger();
            AtomicInteger outOfOrder = new AtomicInteger();
            AtomicLong producedAtHalf = new AtomicLong(-1);
            StringWriter dump = new StringWriter();
            double[] sum = new double[1];
            java.util.concurrent.CountDownLatch half = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CompletableFuture<Void> done = readings.receive()
                    .map(m -> new double[] {m.payload().get(U32, 0), m.payload().get(F64, 8)}) // read inside onNext
                    .take(COUNT)
                    // A slow consumer: one reading per millisecond. Demand, not a buffer, paces the sensor.
                    .concatMap(r -> Mono.delay(Duration.ofMillis(1)).thenReturn(r), 1)
                    .doOnNext(r -> {
                        if ((int) r[0] != next.getAndIncrement()) {
                            outOfOrder.incrementAndGet();
                        }
                        sum[0] += r[1];
                        if ((int) r[0] == COUNT / 2) {
                            half.countDown();
                        }
                    })
                    .then()
                    .toFuture();
            // Half-way (on this thread, not in the pipeline): how far did the sensor get, and what is in the file?
            try {
                half.await(2, java.util.concurrent.TimeUnit.MINUTES);
                producedAtHalf.set(status(control));
                dump.append(dumper.apply(link.file()));
                done.get(2, java.util.concurrent.TimeUnit.MINUTES);
            } catch (Exception e) {
                out.println("sensor: " + e);
                return 1;
            }
            out.printf("sensor: %d readings in order (%d out of order), mean %.2f%n", next.get(), outOfOrder.get(),
                    sum[0] / Math.max(1, next.get()));
            out.printf("sensor: when the host had consumed %d, the sensor had produced %d: the rings held it back%n",
                    COUNT / 2, producedAtHalf.get());
            out.println("sensor: rptun dump of the live file at that moment (first lines):");
            dump.toString().lines().limit(24).forEach(l -> out.println("  | " + l));
            boolean heldBack = producedAtHalf.get() >= 0 && producedAtHalf.get() < COUNT;
            return next.get() == COUNT && outOfOrder.get() == 0 && heldBack ? 0 : 1;
        }
    }

    /** Asks the sensor how many readings it produced. */
    private static long status(RpmsgChannel control) {
        String reply = control.receive().map(io.rptun.core.rpmsg.RpmsgMessage::asString)
                .doOnSubscribe(s -> control.sendBytes(Mono.just("status".getBytes(StandardCharsets.UTF_8)))
                        .then().subscribe())
                .next().block(Duration.ofSeconds(10));
        return reply == null ? -1 : Long.parseLong(reply.substring("produced ".length()));
    }

    /** Run alone, without the command line's dump: the half-way look is left out. */
    public static void main(String[] args) {
        System.exit(run(new PrintWriter(System.out, true), file -> "(run it as './rptun example sensor' for a dump)"));
    }
}
