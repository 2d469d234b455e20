package io.rptun.core.rpmsg;

import static io.rptun.core.rpmsg.RpmsgAddresses.ANY;
import static org.assertj.core.api.Assertions.assertThat;

import io.rptun.core.loopback.RpmsgLoopback;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The name service between a host and a remote in one JVM ({@link RpmsgLoopback}): NS create binds
 * same-named endpoints both ways (with and without F_ACK), announcements are remembered, the bind hook
 * answers unmatched ones, unnamed endpoints adopt the first sender, and a thousand endpoints bind at once.
 *
 * <p>Where the order of events matters, a {@link Gate} holds one side's serving thread inside a callback,
 * so that side has not read the other's name-service message yet: no test depends on thread timing.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RpmsgNameServiceTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void aRemoteAnnouncementBindsAHostEndpointThatWasWaitingForItWithoutSpinning() throws Exception {
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(16, 512))) {
            Recorder hostSide = new Recorder();
            Recorder remoteSide = Recorder.echo();
            RpmsgEndpoint client;
            RpmsgEndpoint service;
            AtomicReference<Object> waited = new AtomicReference<>();
            Thread waiter;
            try (Gate gate = new Gate(loop.remote(), loop.host())) {
                client = loop.host().createEndpoint("svc", hostSide);
                assertThat(client.isBound()).isFalse();
                waiter = Thread.ofPlatform().name("await-bound").start(() -> {
                    try {
                        waited.set(client.awaitBound(Duration.ofSeconds(60)));
                    } catch (RuntimeException e) {
                        waited.set(e);
                    }
                });
                awaitInObjectWait(waiter);
                // The remote has not read the host's NS create yet (its serving thread is in the gate), so
                // its endpoint announces itself and the host's waiting endpoint binds from that announcement.
                service = loop.remote().createEndpoint("svc", remoteSide);
                assertThat(service.isBound()).isFalse();
                assertThat(waiter.join(WAIT)).isTrue();
                assertThat(waited.get()).isEqualTo(Boolean.TRUE);
                assertThat(client.destination()).isEqualTo(service.address());
            }
            assertThat(service.awaitBound(WAIT)).isTrue();
            roundTrip(client, hostSide, "ping");
            assertBoundToEachOther(client, hostSide, service, remoteSide);
            assertThat(loop.host().remoteServices()).containsEntry("svc", service.address());
            assertThat(loop.remote().remoteServices()).containsEntry("svc", client.address());
        }
    }

    @Test
    void aRemoteAnnouncementIsRememberedAndBindsAHostEndpointCreatedAfterIt() throws Exception {
        CountDownLatch announced = new CountDownLatch(1);
        RpmsgOptions hostOptions = RpmsgOptions.defaults().withName("host")
                .withBindHook((device, name, address) -> announced.countDown());
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(16, 512), hostOptions,
                RpmsgOptions.defaults().withName("remote"))) {
            Recorder remoteSide = Recorder.echo();
            RpmsgEndpoint service = loop.remote().createEndpoint("svc", remoteSide);
            assertThat(announced.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
            assertThat(loop.host().remoteServices()).isEqualTo(Map.of("svc", service.address()));

            Recorder hostSide = new Recorder();
            RpmsgEndpoint client = loop.host().createEndpoint("svc", hostSide);
            assertThat(client.isBound()).isTrue();
            assertThat(client.destination()).isEqualTo(service.address());
            assertThat(client.awaitBound(WAIT)).isTrue();
            assertThat(service.awaitBound(WAIT)).isTrue();
            roundTrip(client, hostSide, "ping");
            assertBoundToEachOther(client, hostSide, service, remoteSide);
        }
    }

    @Test
    void aHostAnnouncementBindsARemoteEndpointThatWasWaitingForIt() throws Exception {
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(16, 512))) {
            Recorder hostSide = Recorder.echo();
            Recorder remoteSide = new Recorder();
            RpmsgEndpoint service;
            RpmsgEndpoint client;
            try (Gate gate = new Gate(loop.host(), loop.remote())) {
                client = loop.remote().createEndpoint("svc", remoteSide);
                service = loop.host().createEndpoint("svc", hostSide);
                assertThat(service.isBound()).isFalse();
                assertThat(client.awaitBound(WAIT)).isTrue();
                assertThat(client.destination()).isEqualTo(service.address());
            }
            assertThat(service.awaitBound(WAIT)).isTrue();
            roundTrip(client, remoteSide, "ping");
            assertBoundToEachOther(service, hostSide, client, remoteSide);
        }
    }

    @Test
    void aHostAnnouncementIsRememberedAndBindsARemoteEndpointCreatedAfterIt() throws Exception {
        CountDownLatch announced = new CountDownLatch(1);
        RpmsgOptions remoteOptions = RpmsgOptions.defaults().withName("remote")
                .withBindHook((device, name, address) -> announced.countDown());
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(16, 512),
                RpmsgOptions.defaults().withName("host"), remoteOptions)) {
            Recorder hostSide = Recorder.echo();
            RpmsgEndpoint service = loop.host().createEndpoint("svc", hostSide);
            assertThat(announced.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
            assertThat(loop.remote().remoteServices()).isEqualTo(Map.of("svc", service.address()));

            Recorder remoteSide = new Recorder();
            RpmsgEndpoint client = loop.remote().createEndpoint("svc", remoteSide);
            assertThat(client.destination()).isEqualTo(service.address());
            assertThat(service.awaitBound(WAIT)).isTrue();
            roundTrip(client, remoteSide, "ping");
            assertBoundToEachOther(service, hostSide, client, remoteSide);
        }
    }

    @Test
    void withAckTheAnnouncerBindsFromTheCreateAckBeforeAnyDataMessage() throws Exception {
        CountDownLatch announced = new CountDownLatch(1);
        RpmsgOptions hostOptions = RpmsgOptions.defaults().withName("host")
                .withBindHook((device, name, address) -> announced.countDown());
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(16, 512), hostOptions,
                RpmsgOptions.defaults().withName("remote"))) {
            assertThat(loop.host().features() & RpmsgAddresses.F_ACK).isEqualTo(RpmsgAddresses.F_ACK);
            assertThat(loop.remote().features()).isEqualTo(loop.host().features());
            Recorder remoteSide = Recorder.echo();
            RpmsgEndpoint service = loop.remote().createEndpoint("svc", remoteSide);
            assertThat(announced.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
            assertThat(loop.remote().stats().received()).isZero();

            RpmsgEndpoint client = loop.host().createEndpoint("svc", new Recorder());
            assertThat(service.awaitBound(WAIT)).isTrue();
            assertThat(remoteSide.binds.tryAcquire(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
            // Bound by the one message the host sent: its CREATE_ACK, not data.
            assertThat(loop.host().stats().sent()).isEqualTo(1);
            assertThat(loop.remote().stats().received()).isEqualTo(1);
            assertThat(remoteSide.events).containsExactly("bound " + RpmsgAddresses.format(client.address()));
            assertThat(service.destination()).isEqualTo(client.address());
            assertThat(loop.remote().remoteServices()).isEqualTo(Map.of("svc", client.address()));
            assertThat(loop.remote().stats().droppedTotal()).isZero();
        }
    }

    @Test
    void withoutAckTheAnnouncerBindsOnTheFirstMessageFromAnEndpointThatChoseItsDestination() throws Exception {
        AtomicReference<@Nullable RpmsgEndpoint> created = new AtomicReference<>();
        CountDownLatch hooked = new CountDownLatch(1);
        Recorder hostSide = new Recorder();
        RpmsgOptions hostOptions = RpmsgOptions.defaults().withName("host").withFeatures(RpmsgAddresses.F_NS)
                .withBindHook((device, name, address) -> {
                    created.set(device.createEndpoint(name, ANY, address, hostSide));
                    hooked.countDown();
                });
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(16, 512), hostOptions,
                RpmsgOptions.defaults().withName("remote"))) {
            assertThat(loop.host().features()).isEqualTo(RpmsgAddresses.F_NS);
            assertThat(loop.remote().features()).isEqualTo(RpmsgAddresses.F_NS);
            Recorder remoteSide = Recorder.echo();
            RpmsgEndpoint service = loop.remote().createEndpoint("svc", remoteSide);
            assertThat(hooked.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
            RpmsgEndpoint client = created.get();
            assertThat(client).isNotNull();
            assertThat(client.destination()).isEqualTo(service.address());
            // No CREATE_ACK (F_ACK is off) and no NS create (the destination was chosen): nothing was sent.
            assertThat(loop.host().stats().sent()).isZero();
            assertThat(service.isBound()).isFalse();

            client.send(bytes("first"));
            assertThat(hostSide.messages.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("echo first");
            assertThat(remoteSide.events).containsExactly("bound " + RpmsgAddresses.format(client.address()),
                    "message first");
            assertThat(service.destination()).isEqualTo(client.address());
            assertThat(loop.remote().stats().received()).isEqualTo(1);
            assertThat(remoteSide.bound.get()).isEqualTo(1);
        }
    }

    @Test
    void withoutAckEndpointsBindBothWaysThroughNsCreateAlone() throws Exception {
        CountDownLatch announced = new CountDownLatch(1);
        RpmsgOptions hostOptions = RpmsgOptions.defaults().withName("host").withFeatures(RpmsgAddresses.F_NS)
                .withBindHook((device, name, address) -> announced.countDown());
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(16, 512), hostOptions,
                RpmsgOptions.defaults().withName("remote"))) {
            Recorder remoteSide = Recorder.echo();
            RpmsgEndpoint service = loop.remote().createEndpoint("svc", remoteSide);
            assertThat(announced.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
            Recorder hostSide = new Recorder();
            RpmsgEndpoint client = loop.host().createEndpoint("svc", hostSide);
            assertThat(client.destination()).isEqualTo(service.address());
            // The remembered binding is announced with an NS create (no CREATE_ACK without F_ACK).
            assertThat(service.awaitBound(WAIT)).isTrue();
            assertThat(loop.remote().stats().received()).isEqualTo(1);
            assertThat(remoteSide.messages).isEmpty();
            roundTrip(client, hostSide, "ping");
            assertThat(service.destination()).isEqualTo(client.address());
            assertThat(loop.remote().stats().dropped(RpmsgException.Reason.NS_MALFORMED)).isZero();
            assertThat(loop.host().stats().dropped(RpmsgException.Reason.NS_MALFORMED)).isZero();
        }
    }

    @Test
    void anUnmatchedAnnouncementCallsTheBindHookWhoseEndpointWorksBothWays() throws Exception {
        List<String> calls = new CopyOnWriteArrayList<>();
        AtomicReference<@Nullable RpmsgEndpoint> created = new AtomicReference<>();
        Recorder hostSide = new Recorder();
        AtomicReference<@Nullable RpmsgDevice> hookDevice = new AtomicReference<>();
        CountDownLatch hooked = new CountDownLatch(1);
        RpmsgOptions hostOptions = RpmsgOptions.defaults().withName("host").withBindHook((device, name, address) -> {
            hookDevice.set(device);
            calls.add(name + "@" + RpmsgAddresses.format(address));
            created.set(device.createEndpoint(name, ANY, address, hostSide));
            hooked.countDown();
        });
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(16, 512), hostOptions,
                RpmsgOptions.defaults().withName("remote"))) {
            Recorder remoteSide = new Recorder();
            RpmsgEndpoint service = loop.remote().createEndpoint("svc", remoteSide);
            assertThat(service.awaitBound(WAIT)).isTrue();
            assertThat(hooked.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
            RpmsgEndpoint bound = created.get();
            assertThat(bound).isNotNull();
            assertThat(hookDevice.get()).isSameAs(loop.host());
            assertThat(calls).containsExactly("svc@" + RpmsgAddresses.format(service.address()));
            assertThat(bound.destination()).isEqualTo(service.address());
            assertThat(service.destination()).isEqualTo(bound.address());
            assertThat(loop.host().endpoint(bound.address())).isSameAs(bound);

            bound.send(bytes("host to remote"));
            assertThat(remoteSide.messages.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("host to remote");
            service.send(bytes("remote to host"));
            assertThat(hostSide.messages.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("remote to host");
            assertThat(remoteSide.bound.get()).isEqualTo(1);
            assertThat(calls).hasSize(1);
        }
    }

    @Test
    void anUnnamedEndpointAdoptsTheSourceOfTheFirstMessageItReceives() throws Exception {
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(16, 512))) {
            Recorder remoteSide = Recorder.echo();
            Recorder hostSide = new Recorder();
            RpmsgEndpoint remoteEp = loop.remote().createEndpoint("", remoteSide);
            RpmsgEndpoint hostEp = loop.host().createEndpoint("", hostSide);
            assertThat(remoteEp.isBound()).isFalse();
            assertThat(hostEp.isBound()).isFalse();
            assertThat(loop.host().stats().sent()).isZero(); // unnamed: no announcement

            hostEp.sendTo(remoteEp.address(), bytes("hello"));
            assertThat(hostSide.messages.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("echo hello");
            assertThat(remoteEp.destination()).isEqualTo(hostEp.address());
            assertThat(hostEp.destination()).isEqualTo(remoteEp.address());
            assertThat(remoteSide.events).containsExactly("bound " + RpmsgAddresses.format(hostEp.address()),
                    "message hello");
            assertThat(hostSide.events).containsExactly("bound " + RpmsgAddresses.format(remoteEp.address()),
                    "message echo hello");

            hostEp.send(bytes("again"));
            assertThat(hostSide.messages.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("echo again");
            assertThat(hostSide.bound.get()).isEqualTo(1);
            assertThat(remoteSide.bound.get()).isEqualTo(1);
            assertThat(loop.host().remoteServices()).isEmpty();
        }
    }

    @Test
    void aThousandNamedEndpointsAllBindThroughTheNameServiceAndEachGetsItsOwnAnswer() throws Exception {
        int n = 1000;
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(256, 512))) {
            List<RpmsgEndpoint> services = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                services.add(loop.remote().createEndpoint("ep-" + i,
                        (ep, msg) -> ep.send(bytes(ep.name() + " answers " + msg.asString()))));
            }
            List<BlockingQueue<String>> answers = new ArrayList<>();
            List<RpmsgEndpoint> clients = new ArrayList<>();
            CountDownLatch answered = new CountDownLatch(n);
            for (int i = 0; i < n; i++) {
                BlockingQueue<String> mine = new LinkedBlockingQueue<>();
                answers.add(mine);
                clients.add(loop.host().createEndpoint("ep-" + i, (ep, msg) -> {
                    mine.add(msg.asString());
                    answered.countDown();
                }));
            }
            for (int i = 0; i < n; i++) {
                assertThat(clients.get(i).awaitBound(WAIT)).as("host ep-%d bound", i).isTrue();
                assertThat(services.get(i).awaitBound(WAIT)).as("remote ep-%d bound", i).isTrue();
            }
            for (int i = 0; i < n; i++) {
                clients.get(i).send(bytes("q" + i));
            }
            assertThat(answered.await(60, TimeUnit.SECONDS)).isTrue();

            Set<Integer> hostAddresses = new HashSet<>();
            for (int i = 0; i < n; i++) {
                RpmsgEndpoint client = clients.get(i);
                RpmsgEndpoint service = services.get(i);
                assertThat(client.destination()).isEqualTo(service.address());
                assertThat(service.destination()).isEqualTo(client.address());
                assertThat(answers.get(i)).containsExactly("ep-" + i + " answers q" + i);
                assertThat(loop.host().endpoint(client.address())).isSameAs(client);
                assertThat(loop.remote().endpoint(service.address())).isSameAs(service);
                hostAddresses.add(client.address());
            }
            assertThat(hostAddresses).hasSize(n).allMatch(a -> a >= RpmsgAddresses.FIRST_DYNAMIC
                    && a < RpmsgAddresses.FIRST_DYNAMIC + n);
            assertThat(loop.host().remoteServices()).hasSize(n);
            assertThat(loop.remote().remoteServices()).hasSize(n);
            assertThat(loop.host().endpoints()).hasSize(n);
            assertThat(loop.host().stats().droppedTotal()).isZero();
            assertThat(loop.remote().stats().droppedTotal()).isZero();
        }
    }

    @Test
    void aNameOfExactlyThirtyOneUtf8BytesTravelsThroughTheNameService() throws Exception {
        String name = "\u00e9".repeat(15) + "x"; // 31 bytes in UTF-8, 16 characters
        assertThat(name.getBytes(StandardCharsets.UTF_8)).hasSize(31);
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(16, 512))) {
            Recorder remoteSide = Recorder.echo();
            RpmsgEndpoint service = loop.remote().createEndpoint(name, remoteSide);
            Recorder hostSide = new Recorder();
            RpmsgEndpoint client = loop.host().createEndpoint(name, hostSide);
            assertThat(client.awaitBound(WAIT)).isTrue();
            assertThat(service.awaitBound(WAIT)).isTrue();
            roundTrip(client, hostSide, "ping");
            assertThat(loop.host().remoteServices()).containsEntry(name, service.address());
            assertThat(loop.remote().remoteServices()).containsEntry(name, client.address());
        }
    }

    @Test
    void awaitBoundReturnsFalseWhenNothingBinds() {
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(16, 512))) {
            RpmsgEndpoint lonely = loop.host().createEndpoint("nobody-answers", new Recorder());
            assertThat(lonely.awaitBound(Duration.ofMillis(50))).isFalse();
            assertThat(lonely.isBound()).isFalse();
            assertThat(lonely.destination()).isEqualTo(ANY);
            RpmsgEndpoint unnamed = loop.remote().createEndpoint("", new Recorder());
            assertThat(unnamed.awaitBound(Duration.ZERO)).isFalse();
        }
    }

    @Test
    void dumpShowsEndpointsVringsRemoteServicesAndTheHeap() throws Exception {
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(16, 512))) {
            RpmsgEndpoint service = loop.remote().createEndpoint("dumped-service", Recorder.echo());
            Recorder hostSide = new Recorder();
            RpmsgEndpoint client = loop.host().createEndpoint("dumped-service", hostSide);
            RpmsgEndpoint extra = loop.host().createEndpoint("", 0x1234, ANY, hostSide);
            assertThat(client.awaitBound(WAIT)).isTrue();
            roundTrip(client, hostSide, "ping");

            String host = loop.host().dump();
            assertThat(host).contains("'dumped-service'", RpmsgAddresses.format(client.address()),
                    RpmsgAddresses.format(service.address()), RpmsgAddresses.format(extra.address()), "0x1234",
                    "endpoints: 2", "vring0", "vring1", "heap: ", "remote services: 'dumped-service'@"
                            + RpmsgAddresses.format(service.address()), "READY");
            String remote = loop.remote().dump();
            assertThat(remote).contains("'dumped-service'", RpmsgAddresses.format(service.address()), "endpoints: 1",
                    "vring0", "vring1").doesNotContain("heap: ");
        }
    }

    // ---------------------------------------------------------------- helpers

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Sends {@code text} and waits for its echo: every name-service message sent before it has been read both ways. */
    static void roundTrip(RpmsgEndpoint from, Recorder fromSide, String text) throws InterruptedException {
        from.send(bytes(text));
        assertThat(fromSide.messages.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("echo " + text);
    }

    private static void assertBoundToEachOther(RpmsgEndpoint a, Recorder aSide, RpmsgEndpoint b, Recorder bSide) {
        assertThat(a.destination()).isEqualTo(b.address());
        assertThat(b.destination()).isEqualTo(a.address());
        assertThat(aSide.bound.get()).as("onBound calls of %s", a).isEqualTo(1);
        assertThat(bSide.bound.get()).as("onBound calls of %s", b).isEqualTo(1);
        assertThat(aSide.unbound.get()).isZero();
        assertThat(bSide.unbound.get()).isZero();
    }

    /** Waits until {@code t} sits in {@link Object#wait} (blocked, not spinning). */
    static void awaitInObjectWait(Thread t) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            Thread.State state = t.getState();
            assertThat(state).isNotEqualTo(Thread.State.TERMINATED);
            if (state == Thread.State.TIMED_WAITING || state == Thread.State.WAITING) {
                for (StackTraceElement frame : t.getStackTrace()) {
                    if (frame.getClassName().equals("java.lang.Object") && frame.getMethodName().startsWith("wait")) {
                        return;
                    }
                }
            }
            assertThat(System.nanoTime() - deadline).as("%s never waited", t.getName()).isNegative();
            Thread.yield();
        }
    }

    /** Records what an endpoint is told; optionally answers every message with "echo " + its text. */
    static final class Recorder implements RpmsgListener {
        final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
        final List<String> events = new CopyOnWriteArrayList<>();
        final AtomicInteger bound = new AtomicInteger();
        final AtomicInteger unbound = new AtomicInteger();
        /** One permit per onBound (awaitBound may return before onBound has run). */
        final Semaphore binds = new Semaphore(0);
        /** One permit per onUnbind. */
        final Semaphore unbinds = new Semaphore(0);
        private final boolean echo;

        Recorder() {
            this(false);
        }

        private Recorder(boolean echo) {
            this.echo = echo;
        }

        static Recorder echo() {
            return new Recorder(true);
        }

        @Override
        public void onMessage(RpmsgEndpoint endpoint, RpmsgMessage message) {
            String text = message.asString();
            events.add("message " + text);
            messages.add(text);
            if (echo) {
                endpoint.send(bytes("echo " + text));
            }
        }

        @Override
        public void onBound(RpmsgEndpoint endpoint) {
            bound.incrementAndGet();
            events.add("bound " + RpmsgAddresses.format(endpoint.destination()));
            binds.release();
        }

        @Override
        public void onUnbind(RpmsgEndpoint endpoint) {
            unbound.incrementAndGet();
            events.add("unbind");
            unbinds.release();
        }
    }

    /**
     * Holds {@code blocked}'s serving thread inside a callback (of an unnamed endpoint that {@code other}
     * sends to) until closed, so {@code blocked} reads nothing meanwhile.
     */
    static final class Gate implements AutoCloseable {
        private final CountDownLatch release = new CountDownLatch(1);
        private final RpmsgEndpoint in;
        private final RpmsgEndpoint out;

        Gate(RpmsgDevice blocked, RpmsgDevice other) throws InterruptedException {
            CountDownLatch entered = new CountDownLatch(1);
            in = blocked.createEndpoint("", (ep, msg) -> {
                entered.countDown();
                try {
                    release.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            out = other.createEndpoint("", (ep, msg) -> { });
            out.sendTo(in.address(), new byte[] {1});
            assertThat(entered.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("gate entered").isTrue();
        }

        @Override
        public void close() {
            release.countDown();
            in.destroy();
            out.destroy();
        }
    }
}
