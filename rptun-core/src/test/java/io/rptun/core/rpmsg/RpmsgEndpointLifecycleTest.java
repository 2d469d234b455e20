package io.rptun.core.rpmsg;

import static io.rptun.core.rpmsg.RpmsgAddresses.ANY;
import static io.rptun.core.rpmsg.RpmsgNameServiceTest.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rptun.core.loopback.RpmsgLoopback;
import io.rptun.core.rpmsg.RpmsgException.Reason;
import io.rptun.core.rpmsg.RpmsgNameServiceTest.Recorder;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An endpoint's life: its address, its name, destroy (NS destroy, idempotence, no callback afterwards,
 * from its own callback), the remote dying without a word ({@link RpmsgDevice#peerLost}) and close.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RpmsgEndpointLifecycleTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final RpmsgListener IGNORE = (ep, msg) -> { };

    // ---------------------------------------------------------------- addresses and names

    @Test
    void anyTakesTheLowestFreeAddressFrom0x400() {
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(16, 512))) {
            RpmsgDevice host = loop.host();
            RpmsgEndpoint a = host.createEndpoint("", IGNORE);
            RpmsgEndpoint b = host.createEndpoint("", IGNORE);
            RpmsgEndpoint c = host.createEndpoint("named", IGNORE);
            assertThat(List.of(a.address(), b.address(), c.address())).containsExactly(0x400, 0x401, 0x402);

            b.destroy();
            assertThat(host.endpoint(0x401)).isNull();
            RpmsgEndpoint d = host.createEndpoint("", IGNORE);
            assertThat(d.address()).isEqualTo(0x401);
            assertThat(host.endpoint(0x401)).isSameAs(d);

            RpmsgEndpoint explicit = host.createEndpoint("", 0x404, ANY, IGNORE);
            assertThat(host.createEndpoint("", IGNORE).address()).isEqualTo(0x403);
            assertThat(host.createEndpoint("", IGNORE).address()).isEqualTo(0x405);
            explicit.destroy();
            assertThat(host.createEndpoint("", IGNORE).address()).isEqualTo(0x404);
            assertThat(host.endpoints()).extracting(RpmsgEndpoint::address)
                    .containsExactly(0x400, 0x402, 0x401, 0x403, 0x405, 0x404);
        }
    }

    @Test
    void anExplicitSourceAddressIsHonoured() {
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(16, 512))) {
            RpmsgDevice remote = loop.remote();
            RpmsgEndpoint low = remote.createEndpoint("", 0x10, ANY, IGNORE);
            RpmsgEndpoint high = remote.createEndpoint("", 0x7000_0000, ANY, IGNORE);
            RpmsgEndpoint bound = remote.createEndpoint("", 0x2000, 0x777, IGNORE);
            assertThat(low.address()).isEqualTo(0x10);
            assertThat(high.address()).isEqualTo(0x7000_0000);
            assertThat(bound.address()).isEqualTo(0x2000);
            assertThat(bound.destination()).isEqualTo(0x777);
            assertThat(bound.isBound()).isTrue();
            assertThat(remote.endpoint(0x10)).isSameAs(low);
            assertThat(remote.endpoint(0x7000_0000)).isSameAs(high);
            assertThat(remote.createEndpoint("", IGNORE).address()).isEqualTo(0x400);
        }
    }

    @Test
    void aTakenAddressOrTheNameServiceAddressIsRefused() {
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(16, 512))) {
            RpmsgDevice host = loop.host();
            host.createEndpoint("", IGNORE);
            host.createEndpoint("", 0x20, ANY, IGNORE);
            assertReason(() -> host.createEndpoint("", 0x400, ANY, IGNORE), Reason.ADDRESS_IN_USE);
            assertReason(() -> host.createEndpoint("", 0x20, ANY, IGNORE), Reason.ADDRESS_IN_USE);
            assertReason(() -> host.createEndpoint("ns", RpmsgAddresses.NS_ADDR, ANY, IGNORE),
                    Reason.ADDRESS_IN_USE);
            assertThat(host.endpoints()).hasSize(2);
            assertThat(host.endpoint(RpmsgAddresses.NS_ADDR)).isNull();
            assertThat(host.stats().sent()).isZero(); // nothing was announced for a refused endpoint
        }
    }

    @Test
    void namesOverThirtyOneUtf8BytesOrHoldingNulAreRefused() {
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(16, 512))) {
            RpmsgDevice host = loop.host();
            assertReason(() -> host.createEndpoint("x".repeat(32), IGNORE), Reason.BAD_NAME);
            assertReason(() -> host.createEndpoint("\u00e9".repeat(16), IGNORE), Reason.BAD_NAME); // 32 bytes
            assertReason(() -> host.createEndpoint("a\0b", IGNORE), Reason.BAD_NAME);
            assertReason(() -> host.createEndpoint("\0", 0x30, ANY, IGNORE), Reason.BAD_NAME);
            assertThat(host.endpoints()).isEmpty();

            RpmsgEndpoint ascii = host.createEndpoint("x".repeat(31), IGNORE);
            RpmsgEndpoint utf8 = host.createEndpoint("\u00e9".repeat(15) + "y", IGNORE);
            assertThat(ascii.name()).hasSize(31);
            assertThat(ascii.address()).isEqualTo(0x400); // the refusals took no address
            assertThat(utf8.address()).isEqualTo(0x401);
        }
    }

    // ---------------------------------------------------------------- destroy

    @Test
    void destroySendsAnNsDestroyThatUnbindsThePeerAndForgetsTheService() throws Exception {
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(16, 512))) {
            Recorder remoteSide = Recorder.echo();
            RpmsgEndpoint service = loop.remote().createEndpoint("svc", remoteSide);
            Recorder hostSide = new Recorder();
            RpmsgEndpoint client = loop.host().createEndpoint("svc", hostSide);
            assertThat(client.awaitBound(WAIT)).isTrue();
            assertThat(service.awaitBound(WAIT)).isTrue();
            RpmsgNameServiceTest.roundTrip(client, hostSide, "settle"); // every NS message has been sent
            long sentBefore = loop.host().stats().sent();

            client.destroy();
            assertThat(client.isDestroyed()).isTrue();
            assertThat(loop.host().endpoint(client.address())).isNull();
            assertThat(loop.host().endpoints()).doesNotContain(client);
            assertThat(remoteSide.unbinds.tryAcquire(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
            assertThat(service.destination()).isEqualTo(ANY);
            assertThat(service.isBound()).isFalse();
            assertThat(loop.remote().remoteServices()).doesNotContainKey("svc");
            assertThat(loop.host().stats().sent()).isEqualTo(sentBefore + 1); // the NS destroy

            client.destroy(); // idempotent: nothing more is sent, nothing throws
            client.close();
            assertThat(loop.host().stats().sent()).isEqualTo(sentBefore + 1);
            assertThat(remoteSide.unbound.get()).isEqualTo(1);
            assertThat(service.isDestroyed()).isFalse();
            assertReason(() -> service.send(bytes("to nobody")), Reason.NOT_BOUND);
        }
    }

    @Test
    void everySendOnADestroyedEndpointFailsWithEndpointDestroyed() {
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(16, 512))) {
            RpmsgEndpoint service = loop.remote().createEndpoint("svc", IGNORE);
            RpmsgEndpoint bound = loop.host().createEndpoint("svc", IGNORE);
            RpmsgEndpoint unbound = loop.host().createEndpoint("", IGNORE);
            assertThat(bound.awaitBound(WAIT)).isTrue();
            bound.destroy();
            unbound.destroy();
            for (RpmsgEndpoint ep : List.of(bound, unbound)) {
                assertReason(() -> ep.send(bytes("x")), Reason.ENDPOINT_DESTROYED);
                assertReason(() -> ep.send(MemorySegment.ofArray(bytes("x"))), Reason.ENDPOINT_DESTROYED);
                assertReason(() -> ep.trySend(bytes("x")), Reason.ENDPOINT_DESTROYED);
                assertReason(() -> ep.sendTo(service.address(), bytes("x")), Reason.ENDPOINT_DESTROYED);
                assertReason(() -> ep.trySendTo(service.address(), bytes("x")), Reason.ENDPOINT_DESTROYED);
                assertReason(ep::txBuffer, Reason.ENDPOINT_DESTROYED);
                assertReason(ep::tryTxBuffer, Reason.ENDPOINT_DESTROYED);
            }
            assertReason(() -> unbound.awaitBound(WAIT), Reason.ENDPOINT_DESTROYED);
        }
    }

    /** With F_ACK the new remote endpoint answers the remembered host announcement with CREATE_ACK, without it with NS create. */
    @ParameterizedTest(name = "features 0x{0}")
    @ValueSource(ints = {RpmsgAddresses.SUPPORTED, RpmsgAddresses.F_NS})
    void aNewAnnouncementRebindsAnEndpointTheRemoteUnbound(int features) throws Exception {
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(16, 512),
                RpmsgOptions.defaults().withName("host").withFeatures(features),
                RpmsgOptions.defaults().withName("remote"))) {
            assertThat(loop.remote().features()).isEqualTo(features);
            BlockingQueue<String> events = new LinkedBlockingQueue<>();
            RpmsgEndpoint client = loop.host().createEndpoint("svc", new RpmsgListener() {
                @Override
                public void onMessage(RpmsgEndpoint ep, RpmsgMessage msg) {
                    events.add("message " + msg.asString());
                }

                @Override
                public void onBound(RpmsgEndpoint ep) {
                    events.add("bound " + RpmsgAddresses.format(ep.destination()));
                }

                @Override
                public void onUnbind(RpmsgEndpoint ep) {
                    events.add("unbind " + RpmsgAddresses.format(ep.destination()));
                }
            });
            RpmsgEndpoint first = loop.remote().createEndpoint("svc", 0x500, ANY, IGNORE);
            assertThat(events.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("bound 0x500");
            assertThat(first.awaitBound(WAIT)).isTrue();

            first.destroy();
            assertThat(events.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("unbind ANY");
            assertThat(client.isBound()).isFalse();
            assertThat(loop.host().remoteServices()).isEmpty();
            assertReason(() -> client.send(bytes("x")), Reason.NOT_BOUND);

            RpmsgEndpoint second = loop.remote().createEndpoint("svc", 0x600, ANY, IGNORE);
            assertThat(events.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("bound 0x600");
            assertThat(client.destination()).isEqualTo(0x600);
            assertThat(second.awaitBound(WAIT)).isTrue();
            assertThat(second.destination()).isEqualTo(client.address());
            assertThat(loop.host().remoteServices()).isEqualTo(Map.of("svc", 0x600));
            second.send(bytes("back"));
            assertThat(events.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("message back");
            assertThat(events).isEmpty();
        }
    }

    @Test
    void noCallbackRunsAfterDestroyHasReturnedWhileThePeerFloodsTheEndpoint() throws Exception {
        int rounds = 200;
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(16, 512))) {
            RpmsgEndpoint flooder = loop.remote().createEndpoint("", IGNORE);
            AtomicInteger late = new AtomicInteger();
            AtomicInteger delivered = new AtomicInteger();
            AtomicReference<@Nullable Throwable> flooderFailure = new AtomicReference<>();
            for (int round = 0; round < rounds; round++) {
                AtomicBoolean destroyReturned = new AtomicBoolean();
                CountDownLatch some = new CountDownLatch(1 + round % 8);
                RpmsgEndpoint target = loop.host().createEndpoint("", (ep, msg) -> {
                    if (destroyReturned.get()) {
                        late.incrementAndGet();
                    }
                    delivered.incrementAndGet();
                    some.countDown();
                    if (destroyReturned.get()) { // still running when destroy returned
                        late.incrementAndGet();
                    }
                });
                int dst = target.address();
                AtomicBoolean stop = new AtomicBoolean();
                Thread thread = Thread.ofPlatform().name("flood-" + round).start(() -> {
                    byte[] payload = bytes("flood");
                    try {
                        while (!stop.get()) {
                            flooder.sendTo(dst, payload);
                        }
                    } catch (Throwable t) {
                        flooderFailure.set(t);
                    }
                });
                try {
                    assertThat(some.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("round %d delivered", round).isTrue();
                    target.destroy();
                    destroyReturned.set(true);
                } finally {
                    stop.set(true);
                    assertThat(thread.join(WAIT)).as("flooder of round %d stopped", round).isTrue();
                }
                assertThat(target.isDestroyed()).isTrue();
            }
            assertThat(flooderFailure.get()).isNull();
            assertThat(late.get()).isZero();
            assertThat(delivered.get()).isGreaterThanOrEqualTo(rounds);
            assertThat(loop.host().stats().dropped().keySet()).isSubsetOf(Reason.UNKNOWN_DESTINATION);
        }
    }

    @Test
    void anEndpointDestroysItselfFromItsOwnCallbackAndHearsNothingMore() throws Exception {
        CountDownLatch dropped = new CountDownLatch(9);
        RpmsgOptions hostOptions = RpmsgOptions.defaults().withName("host").withDropListener((device, e) -> {
            if (e.reason() == Reason.UNKNOWN_DESTINATION) {
                dropped.countDown();
            }
        });
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(16, 512), hostOptions,
                RpmsgOptions.defaults().withName("remote"))) {
            CountDownLatch peerUnbound = new CountDownLatch(1);
            RpmsgEndpoint peer = loop.remote().createEndpoint("self", new RpmsgListener() {
                @Override
                public void onMessage(RpmsgEndpoint ep, RpmsgMessage msg) {
                }

                @Override
                public void onUnbind(RpmsgEndpoint ep) {
                    peerUnbound.countDown();
                }
            });
            AtomicInteger calls = new AtomicInteger();
            CountDownLatch destroyReturned = new CountDownLatch(1);
            RpmsgEndpoint self = loop.host().createEndpoint("self", (ep, msg) -> {
                if (calls.incrementAndGet() == 1) {
                    ep.destroy();
                    destroyReturned.countDown();
                }
            });
            assertThat(self.awaitBound(WAIT)).isTrue();
            assertThat(peer.awaitBound(WAIT)).isTrue();
            int target = self.address();
            for (int i = 0; i < 10; i++) {
                peer.sendTo(target, bytes("m" + i));
            }
            assertThat(destroyReturned.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
            assertThat(dropped.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
            assertThat(calls.get()).isEqualTo(1);
            assertThat(self.isDestroyed()).isTrue();
            assertThat(loop.host().stats().dropped(Reason.UNKNOWN_DESTINATION)).isEqualTo(9);
            assertThat(loop.host().stats().dropped(Reason.CALLBACK_FAILED)).isZero();
            assertThat(peerUnbound.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue(); // its NS destroy went out
            assertThat(peer.destination()).isEqualTo(ANY);
        }
    }

    // ---------------------------------------------------------------- peer lost

    @Test
    void aLostPeerUnbindsEveryEndpointAndFailsSendsWaitsAndCreation() throws Exception {
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(16, 512))) {
            RpmsgDevice host = loop.host();
            RpmsgEndpoint echo = loop.remote().createEndpoint("", Recorder.echo());
            loop.remote().createEndpoint("a", Recorder.echo());
            loop.remote().createEndpoint("b", Recorder.echo());
            Recorder aSide = new Recorder();
            Recorder bSide = new Recorder();
            Recorder uSide = new Recorder();
            Recorder waitingSide = new Recorder();
            RpmsgEndpoint a = host.createEndpoint("a", aSide);
            RpmsgEndpoint b = host.createEndpoint("b", bSide);
            RpmsgEndpoint u = host.createEndpoint("", uSide);
            RpmsgEndpoint waiting = host.createEndpoint("nobody", waitingSide);
            assertThat(a.awaitBound(WAIT)).isTrue();
            assertThat(b.awaitBound(WAIT)).isTrue();
            u.sendTo(echo.address(), bytes("hi"));
            assertThat(uSide.messages.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("echo hi");
            assertThat(u.destination()).isEqualTo(echo.address());

            AtomicReference<@Nullable Object> waited = new AtomicReference<>();
            Thread waiter = Thread.ofPlatform().name("await-bound").start(() -> {
                try {
                    waited.set(waiting.awaitBound(Duration.ofSeconds(60)));
                } catch (RuntimeException e) {
                    waited.set(e);
                }
            });
            RpmsgNameServiceTest.awaitInObjectWait(waiter);

            host.peerLost("test");
            assertThat(host.state()).isEqualTo(RpmsgDevice.State.PEER_LOST);
            assertThat(host.failure()).isNotNull().extracting(RpmsgException::reason).isEqualTo(Reason.PEER_LOST);
            for (RpmsgEndpoint ep : List.of(a, b, u)) {
                assertThat(ep.destination()).as("%s", ep).isEqualTo(ANY);
                assertThat(ep.isBound()).isFalse();
                assertReason(() -> ep.send(bytes("x")), Reason.PEER_LOST);
                assertReason(() -> ep.trySend(bytes("x")), Reason.PEER_LOST);
                assertReason(() -> ep.sendTo(echo.address(), bytes("x")), Reason.PEER_LOST);
                assertReason(ep::txBuffer, Reason.PEER_LOST);
                assertReason(() -> ep.awaitBound(WAIT), Reason.PEER_LOST);
            }
            assertThat(List.of(aSide.unbound.get(), bSide.unbound.get(), uSide.unbound.get())).containsOnly(1);
            assertThat(waitingSide.unbound.get()).isZero(); // it was never bound
            assertThat(waiter.join(WAIT)).isTrue();
            assertThat(waited.get()).isInstanceOfSatisfying(RpmsgException.class,
                    e -> assertThat(e.reason()).isEqualTo(Reason.PEER_LOST));
            assertReason(() -> host.createEndpoint("late", IGNORE), Reason.PEER_LOST);
            assertReason(() -> host.createEndpoint("", IGNORE), Reason.PEER_LOST);

            host.peerLost("again"); // idempotent: no second unbind, the first reason stays
            assertThat(aSide.unbound.get()).isEqualTo(1);
            assertThat(host.failure()).isNotNull().extracting(Throwable::getMessage).asString().contains("test");
        }
    }

    @Test
    void aLostPeerFailsASendWaitingForATxBufferPromptly() throws Exception {
        int num = 4;
        RpmsgOptions hostOptions = RpmsgOptions.defaults().withName("host").withSendTimeout(Duration.ofMinutes(5));
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(num, 512), hostOptions,
                RpmsgOptions.defaults().withName("remote"))) {
            List<RpmsgMessage> held = new CopyOnWriteArrayList<>();
            CountDownLatch allHeld = new CountDownLatch(num);
            loop.remote().createEndpoint("sink", (ep, msg) -> {
                held.add(msg.hold());
                allHeld.countDown();
            });
            RpmsgEndpoint sink = loop.host().createEndpoint("sink", IGNORE);
            assertThat(sink.awaitBound(WAIT)).isTrue();
            for (int i = 0; i < num; i++) {
                sink.send(bytes("held " + i));
            }
            assertThat(allHeld.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
            // Every TX buffer the host has sits held by the remote: nothing comes back.
            assertThat(sink.trySend(bytes("no room"))).isFalse();
            assertThat(loop.host().stats().txBuffersFree()).isZero();

            AtomicReference<@Nullable Throwable> outcome = new AtomicReference<>();
            Thread sender = Thread.ofPlatform().name("blocked-sender").start(() -> {
                try {
                    sink.send(bytes("blocked"));
                } catch (Throwable t) {
                    outcome.set(t);
                }
            });
            awaitParked(sender);
            loop.host().peerLost("test");
            assertThat(sender.join(Duration.ofSeconds(30))).as("the blocked send returned").isTrue();
            assertThat(outcome.get()).isInstanceOfSatisfying(RpmsgException.class,
                    e -> assertThat(e.reason()).isEqualTo(Reason.PEER_LOST));
            assertThat(held).hasSize(num);
        }
    }

    // ---------------------------------------------------------------- close

    @Test
    void closingBothDevicesDestroysEveryEndpointAndFreesEveryHeapBlock() throws Exception {
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(16, 512))) {
            Recorder remoteA = Recorder.echo();
            Recorder remoteB = Recorder.echo();
            Recorder hostA = new Recorder();
            Recorder hostB = new Recorder();
            RpmsgEndpoint ra = loop.remote().createEndpoint("a", remoteA);
            RpmsgEndpoint rb = loop.remote().createEndpoint("b", remoteB);
            RpmsgEndpoint ha = loop.host().createEndpoint("a", hostA);
            RpmsgEndpoint hb = loop.host().createEndpoint("b", hostB);
            RpmsgEndpoint hu = loop.host().createEndpoint("", IGNORE);
            for (RpmsgEndpoint ep : List.of(ra, rb, ha, hb)) {
                assertThat(ep.awaitBound(WAIT)).isTrue();
            }
            for (int i = 0; i < 50; i++) {
                ha.send(bytes("a" + i));
                hb.send(bytes("b" + i));
            }
            for (int i = 0; i < 50; i++) {
                assertThat(hostA.messages.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("echo a" + i);
                assertThat(hostB.messages.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("echo b" + i);
            }
            assertThat(loop.heap().stats().liveBlocks()).isPositive();

            loop.remote().close();
            assertThat(loop.remote().state()).isEqualTo(RpmsgDevice.State.CLOSED);
            assertThat(loop.remote().endpoints()).isEmpty();
            assertThat(List.of(ra, rb)).allMatch(RpmsgEndpoint::isDestroyed);
            assertThat(List.of(remoteA.unbound.get(), remoteB.unbound.get())).containsOnly(1);

            loop.host().close();
            assertThat(loop.host().state()).isEqualTo(RpmsgDevice.State.CLOSED);
            assertThat(loop.host().failure()).isNotNull().extracting(RpmsgException::reason)
                    .isEqualTo(Reason.DEVICE_CLOSED);
            assertThat(loop.host().endpoints()).isEmpty();
            assertThat(List.of(ha, hb, hu)).allMatch(RpmsgEndpoint::isDestroyed);
            assertThat(List.of(hostA.unbound.get(), hostB.unbound.get())).containsOnly(1);
            assertThat(loop.heap().stats().liveBlocks()).isZero();
            assertReason(() -> loop.host().createEndpoint("", IGNORE), Reason.DEVICE_CLOSED);
            assertReason(() -> ha.send(bytes("x")), Reason.ENDPOINT_DESTROYED);

            loop.remote().close(); // idempotent
            loop.host().close();
            assertThat(loop.heap().stats().liveBlocks()).isZero();
        }
    }

    // ---------------------------------------------------------------- helpers

    private static void assertReason(ThrowingCallable call, Reason reason) {
        assertThatThrownBy(call).isInstanceOfSatisfying(RpmsgException.class,
                e -> assertThat(e.reason()).isEqualTo(reason));
    }

    /** Waits until {@code t} is parked or waiting (a send waiting for a TX buffer). */
    private static void awaitParked(Thread t) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            Thread.State state = t.getState();
            assertThat(state).as("%s ended early", t.getName()).isNotEqualTo(Thread.State.TERMINATED);
            if (state == Thread.State.TIMED_WAITING || state == Thread.State.WAITING) {
                return;
            }
            assertThat(System.nanoTime() - deadline).as("%s never waited", t.getName()).isNegative();
            Thread.yield();
        }
    }
}
