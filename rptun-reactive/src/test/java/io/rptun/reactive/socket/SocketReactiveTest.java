package io.rptun.reactive.socket;

import static org.assertj.core.api.Assertions.assertThat;

import io.rptun.core.loopback.RpmsgLoopback;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.core.socket.SocketException;
import io.rptun.core.socket.SocketOptions;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscription;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

class SocketReactiveTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    private static RpmsgLoopback loopback() {
        return RpmsgLoopback.start(RpmsgLoopback.table(64, 512));
    }

    private static Flux<byte[]> chunks(int count, int size, long seed) {
        return Flux.range(0, count).map(i -> {
            byte[] b = new byte[size];
            new Random(seed + i).nextBytes(b);
            return b;
        });
    }

    private static long crcOf(Flux<byte[]> data) {
        CRC32 c = new CRC32();
        data.toStream().forEach(c::update);
        return c.getValue();
    }

    @Test
    void anEchoServerSendsBackWhatAClientStreamedUntilItShutItsOutput() {
        try (RpmsgLoopback loop = loopback()) {
            SocketServer.Bound server = SocketServer.create(loop.host()).name("echo")
                    .handle((in, out) -> out.send(in.receive()))
                    .bindNow();
            SocketConnection c = SocketClient.create(loop.remote()).name("echo").connectNow();
            Flux<byte[]> data = chunks(400, 3000, 1);
            Mono<Long> received = c.inbound().receive().reduce(new CRC32(), (crc, b) -> {
                crc.update(b);
                return crc;
            }).map(CRC32::getValue);
            // Both at once, as with TCP: an echo whose replies nobody reads stalls the writer at the window.
            StepVerifier.create(Mono.zip(c.outbound().send(data).then(c.outbound().shutdownOutput()).thenReturn(0),
                    received).map(t -> t.getT2()))
                    .expectNext(crcOf(data))
                    .expectComplete()
                    .verify(WAIT);
            c.dispose();
            server.dispose();
        }
    }

    @Test
    void aClientNobodyAnswersFailsWithConnectTimeoutAndABoundServerIsAValue() {
        try (RpmsgLoopback loop = loopback()) {
            StepVerifier.create(SocketClient.create(loop.remote()).name("nobody")
                    .connectTimeout(Duration.ofMillis(200)).connect())
                    .expectErrorSatisfies(e -> assertThat(((SocketException) e).reason())
                            .isEqualTo(SocketException.Reason.CONNECT_TIMEOUT))
                    .verify(WAIT);
            StepVerifier.create(SocketServer.create(loop.host()).name("bound").handle((in, out) -> Mono.empty()).bind())
                    .assertNext(bound -> {
                        assertThat(bound.listener().endpointPrefix()).isEqualTo("s:bound");
                        bound.dispose();
                        assertThat(bound.isDisposed()).isTrue();
                    })
                    .verifyComplete();
            StepVerifier.create(SocketServer.create(loop.host()).bind())
                    .expectError(IllegalStateException.class)
                    .verify(WAIT);
        }
    }

    @Test
    void datagramSocketsKeepEachElementAsOneDatagram() {
        try (RpmsgLoopback loop = loopback()) {
            SocketOptions dgram = SocketOptions.datagram();
            var a = SocketClient.create(loop.host()).name("dg").options(dgram).connect().toFuture();
            SocketConnection b = SocketClient.create(loop.remote()).name("dg").options(dgram).connectNow();
            SocketConnection host = a.join();
            StepVerifier.create(b.outbound().send(Flux.just("one", "two", "", "three")
                    .map(s -> s.getBytes(StandardCharsets.US_ASCII))))
                    .verifyComplete();
            StepVerifier.create(host.inbound().receive().map(x -> new String(x, StandardCharsets.US_ASCII)).take(4))
                    .expectNext("one", "two", "", "three")
                    .verifyComplete();
            StepVerifier.create(b.outbound().send(Flux.just(new byte[1000])))
                    .expectErrorSatisfies(e -> assertThat(((SocketException) e).reason())
                            .isEqualTo(SocketException.Reason.DATAGRAM_TOO_LARGE))
                    .verify(WAIT);
            host.dispose();
            b.dispose();
        }
    }

    @Test
    void withoutDemandNothingIsReadAndTheSenderStopsAtTheWindow() {
        try (RpmsgLoopback loop = loopback()) {
            AtomicReference<SocketConnection> accepted = new AtomicReference<>();
            CountDownLatch acceptedLatch = new CountDownLatch(1);
            SocketServer.Bound server = SocketServer.create(loop.host()).name("slow")
                    .handle((in, out) -> {
                        accepted.set((SocketConnection) in);
                        acceptedLatch.countDown();
                        return Mono.never();
                    })
                    .bindNow();
            SocketConnection c = SocketClient.create(loop.remote()).name("slow").connectNow();
            c.outbound().send(chunks(10, 1000, 2)).then(c.outbound().shutdownOutput()).subscribe();
            awaitTrue(() -> acceptedLatch.getCount() == 0 && accepted.get().socket().available() == 1024);
            assertThat(c.socket().credit()).isZero();
            SocketConnection s = accepted.get();
            assertThat(s.socket().available()).isEqualTo(1024);
            AtomicLong got = new AtomicLong();
            StepVerifier.create(s.inbound().receive(), 0)
                    .thenRequest(1)
                    .assertNext(b -> {
                        assertThat(b).hasSize(1024);
                        got.addAndGet(b.length);
                    })
                    .then(() -> awaitTrue(() -> s.socket().available() == 1024))
                    .thenRequest(Long.MAX_VALUE)
                    .thenConsumeWhile(b -> true, b -> got.addAndGet(b.length))
                    .expectComplete()
                    .verify(WAIT);
            assertThat(got.get()).isEqualTo(10_000);
            c.dispose();
            server.dispose();
        }
    }

    @Test
    void anUnreadConnectionStallsOnlyItsOwnSenderWhileAnotherConnectionAndAPlainEndpointStreamToTheEnd()
            throws Exception {
        try (RpmsgLoopback loop = loopback()) {
            CountDownLatch release = new CountDownLatch(1);
            AtomicLong stalledBytes = new AtomicLong();
            java.util.concurrent.atomic.AtomicInteger accepted = new java.util.concurrent.atomic.AtomicInteger();
            SocketServer.Bound server = SocketServer.create(loop.host()).name("bulk")
                    .handle((in, out) -> {
                        // The first connection is read only after the release; the other one at once.
                        Flux<byte[]> data = in.receive();
                        return accepted.getAndIncrement() == 0 ? stalled(data, release, stalledBytes) : data.then();
                    })
                    .bindNow();
            SocketConnection stalled = SocketClient.create(loop.remote()).name("bulk").connectNow();
            SocketConnection busy = SocketClient.create(loop.remote()).name("bulk").connectNow();

            // A plain endpoint pair on the same device, streaming at full rate.
            AtomicLong plainReceived = new AtomicLong();
            CountDownLatch plainDone = new CountDownLatch(1);
            int plainMessages = 20_000;
            RpmsgEndpoint sink = loop.host().createEndpoint("plain", (ep, msg) -> {
                if (plainReceived.incrementAndGet() == plainMessages) {
                    plainDone.countDown();
                }
            });
            RpmsgEndpoint source = loop.remote().createEndpoint("plain", (ep, msg) -> {
            });
            assertThat(source.awaitBound(WAIT)).isTrue();
            assertThat(sink.awaitBound(WAIT)).isTrue();

            stalled.outbound().send(chunks(1000, 1000, 3)).subscribe();
            Mono<Void> busyDone = busy.outbound().send(chunks(2000, 1000, 4)).then(busy.outbound().shutdownOutput());
            Thread plain = Thread.ofVirtual().start(() -> {
                byte[] m = new byte[400];
                for (int i = 0; i < plainMessages; i++) {
                    source.send(m);
                }
            });
            StepVerifier.create(busyDone).expectComplete().verify(WAIT);
            assertThat(plainDone.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("the plain endpoint finished").isTrue();
            plain.join();
            // Meanwhile the unread connection held its window and no ring buffer, and its sender waited.
            assertThat(stalledBytes.get()).isZero();
            assertThat(stalled.socket().credit()).isZero();
            assertThat(loop.host().heldRxBuffers()).isZero();
            Thread.sleep(2000); // "stops for seconds"
            assertThat(stalled.socket().credit()).isZero();
            release.countDown();
            awaitTrue(() -> stalledBytes.get() == 1_000_000);
            stalled.dispose();
            busy.dispose();
            server.dispose();
        }
    }

    private static Mono<Void> stalled(Flux<byte[]> data, CountDownLatch release, AtomicLong count) {
        return Mono.create(sink -> data.subscribe(new BaseSubscriber<byte[]>() {
            @Override
            protected void hookOnSubscribe(Subscription s) {
                Thread.ofVirtual().start(() -> {
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    s.request(Long.MAX_VALUE);
                });
            }

            @Override
            protected void hookOnNext(byte[] value) {
                count.addAndGet(value.length);
            }

            @Override
            protected void hookOnComplete() {
                sink.success();
            }

            @Override
            protected void hookOnError(Throwable t) {
                sink.error(t);
            }
        }));
    }

    private static void awaitTrue(java.util.function.BooleanSupplier condition) {
        long end = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime() - end).as("in time").isNegative();
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
