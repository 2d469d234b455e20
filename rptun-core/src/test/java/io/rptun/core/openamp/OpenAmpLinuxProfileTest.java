package io.rptun.core.openamp;

import static org.assertj.core.api.Assertions.assertThat;

import io.rptun.core.layout.MemoryPlan;
import io.rptun.core.layout.PlannedRegion;
import io.rptun.core.layout.SharedMemoryPlanner;
import io.rptun.core.memory.WireLayouts;
import io.rptun.core.rpmsg.ParkingDoorbell;
import io.rptun.core.rpmsg.RpmsgAddresses;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.core.rpmsg.RpmsgHeaderLayout;
import io.rptun.core.rpmsg.RpmsgListener;
import io.rptun.core.rpmsg.RpmsgMessage;
import io.rptun.core.rpmsg.RpmsgOptions;
import io.rptun.core.rpmsg.RpmsgRunner;
import io.rptun.core.rsc.ParseMode;
import io.rptun.core.rsc.ResourceTableParser;
import io.rptun.core.virtio.VringAvailLayout;
import io.rptun.core.virtio.VringDescLayout;
import io.rptun.core.virtio.VringLayout;
import io.rptun.core.virtio.VringUsedLayout;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * OpenAMP's Linux userspace demo machine (docs/protocols.md section 5) with a Java peer on each side: the
 * table, the memory map the C processes use (RX buffers at 0x10000, TX buffers lazily from 0x30000) and
 * the echo protocol.
 */
@Timeout(120)
class OpenAmpLinuxProfileTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final long VDEV = 0x14;
    private static final long VRING0 = 0x4000;
    private static final long VRING1 = 0x8000;
    private static final int NUM = 256;

    /** The hand-derived 88-byte fixture of the rsc tests (openamp_linux_demo.hex). */
    private static byte[] demoFixture() {
        try (InputStream in = OpenAmpLinuxProfileTest.class.getResourceAsStream(
                "/io/rptun/core/rsc/openamp_linux_demo.hex")) {
            assertThat(in).as("fixture openamp_linux_demo.hex on the test class path").isNotNull();
            StringBuilder hex = new StringBuilder();
            for (String line : new String(in.readAllBytes(), StandardCharsets.US_ASCII).split("\\R")) {
                if (!line.strip().startsWith("#")) {
                    hex.append(line.replaceAll("\\s+", ""));
                }
            }
            return HexFormat.of().parseHex(hex);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ------------------------------------------------------------------ constants, table, plan

    @Test
    void constantsAreTheDemosValues() {
        assertThat(OpenAmpLinuxProfile.SHM_NAME).isEqualTo("openamp.shm");
        assertThat(OpenAmpLinuxProfile.SHM_PATH).isEqualTo("/dev/shm/openamp.shm");
        assertThat(OpenAmpLinuxProfile.SHM_SIZE).isEqualTo(0x80000);
        assertThat(OpenAmpLinuxProfile.SOCKET_PATH).isEqualTo("/tmp/openamp.event.0");
        assertThat(OpenAmpLinuxProfile.ENDPOINT_NAME).isEqualTo("rpmsg-openamp-demo-channel");
        assertThat(OpenAmpLinuxProfile.RX_BUFFERS_OFFSET).isEqualTo(0x10000);
        assertThat(OpenAmpLinuxProfile.TX_BUFFERS_OFFSET).isEqualTo(0x30000);
        assertThat(OpenAmpLinuxProfile.BUFFER_SIZE).isEqualTo(512);
        assertThat(OpenAmpLinuxProfile.SHUTDOWN_MAGIC).isEqualTo(0xEF56A55A);
        assertThat(OpenAmpLinuxProfile.TX_BUFFERS_OFFSET - OpenAmpLinuxProfile.RX_BUFFERS_OFFSET)
                .isEqualTo(256L * OpenAmpLinuxProfile.BUFFER_SIZE);
    }

    @Test
    void resourceTableIsTheHandDerived88ByteDemoTable() {
        byte[] table = OpenAmpLinuxProfile.resourceTable();
        assertThat(table).hasSize(88).containsExactly(demoFixture());
        table[0] = 9;
        assertThat(OpenAmpLinuxProfile.resourceTable()[0]).as("a fresh array each call").isEqualTo((byte) 1);
    }

    @Test
    void writeTableCopiesExactlyThe88BytesToOffset0() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment shm = arena.allocate(OpenAmpLinuxProfile.SHM_SIZE, 4096);
            shm.fill((byte) 0xa5);
            OpenAmpLinuxProfile.writeTable(shm);
            assertThat(shm.asSlice(0, 88).toArray(ValueLayout.JAVA_BYTE)).containsExactly(demoFixture());
            assertThat(shm.get(ValueLayout.JAVA_BYTE, 88)).isEqualTo((byte) 0xa5);
            assertThat(ResourceTableParser.parse(shm, ParseMode.OPENAMP).extent()).isEqualTo(88);
        }
    }

    @Test
    void planOptionsGiveTheDemosMemoryMap() {
        MemoryPlan plan = SharedMemoryPlanner.plan(
                ResourceTableParser.parse(MemorySegment.ofArray(demoFixture()), ParseMode.OPENAMP).table(),
                OpenAmpLinuxProfile.planOptions());
        assertThat(plan.vring(0, 0).offset()).isEqualTo(VRING0);
        assertThat(plan.vring(0, 1).offset()).isEqualTo(VRING1);
        assertThat(plan.heap(0)).extracting(PlannedRegion::offset, PlannedRegion::end)
                .containsExactly(0x10000L, 0x80000L);
        assertThat(plan.options().regionSize()).isEqualTo(0x80000);
    }

    // ------------------------------------------------------------------ a Java host and a Java remote

    /** Both profile devices over one 0x80000 segment, served by runners rung through parking doorbells. */
    private static final class Demo implements AutoCloseable {
        final Arena arena = Arena.ofShared();
        final MemorySegment shm = arena.allocate(OpenAmpLinuxProfile.SHM_SIZE, 4096);
        final ParkingDoorbell hostBell = new ParkingDoorbell();
        final ParkingDoorbell remoteBell = new ParkingDoorbell();
        final RpmsgDevice remote;
        final RpmsgDevice host;
        final RpmsgRunner remoteRunner;
        final RpmsgRunner hostRunner;

        Demo(RpmsgOptions hostOptions, RpmsgOptions remoteOptions) {
            OpenAmpLinuxProfile.writeTable(shm);
            remote = OpenAmpLinuxProfile.remote(shm, hostBell, remoteOptions);
            host = OpenAmpLinuxProfile.host(shm, remoteBell, hostOptions);
            remoteRunner = RpmsgRunner.start(remote, remoteBell, "remote-rpmsg");
            hostRunner = RpmsgRunner.start(host, hostBell, "host-rpmsg");
            assertThat(remote.awaitReady(WAIT)).isTrue();
        }

        Demo() {
            this(RpmsgOptions.defaults().withName("host"), RpmsgOptions.defaults().withName("remote"));
        }

        long offsetOf(MemorySegment payload) {
            return payload.address() - shm.address() - RpmsgHeaderLayout.SIZE;
        }

        /** desc.addr of the buffer in the {@code slot}-th avail entry of the vring at {@code vring}. */
        long availBuffer(long vring, int slot) {
            int head = VringAvailLayout.ring(shm, vring + VringLayout.availOffset(NUM), slot);
            return VringDescLayout.addr(shm, vring + VringDescLayout.SIZE * head);
        }

        /**
         * Waits (bounded) until the remote has published {@code idx} used entries on the host's TX ring: a
         * release from a thread that does not own the port may be published a moment later by the owner.
         */
        void awaitTxUsedIdx(int idx) {
            long used = VRING1 + VringLayout.usedOffset(NUM, 0x1000);
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (VringUsedLayout.idxAcquire(shm, used) != idx) {
                assertThat(System.nanoTime() - deadline).as("used.idx never reached %d", idx).isNegative();
                LockSupport.parkNanos(100_000); // not a spin: the owner that publishes may need this core
            }
        }

        @Override
        public void close() throws InterruptedException {
            try {
                remote.close();
                host.close();
                remoteRunner.close();
                hostRunner.close();
                assertThat(remoteRunner.thread().join(WAIT)).isTrue();
                assertThat(hostRunner.thread().join(WAIT)).isTrue();
            } finally {
                arena.close();
            }
        }
    }

    @Test
    void theHostPostsRxBufferIAt0x10000PlusIx512AndLeavesTheStaticVringsWhereTheyAre() throws Exception {
        try (Demo demo = new Demo()) {
            MemorySegment shm = demo.shm;
            assertThat(shm.get(WireLayouts.LE_U32, 0x30)).as("vring0 da").isEqualTo((int) VRING0);
            assertThat(shm.get(WireLayouts.LE_U32, 0x44)).as("vring1 da").isEqualTo((int) VRING1);
            assertThat(shm.get(ValueLayout.JAVA_BYTE, VDEV + 24)).as("status").isEqualTo((byte) 4);
            assertThat(VringAvailLayout.idxAcquire(shm, VRING0 + VringLayout.availOffset(NUM))).isEqualTo(NUM);
            List<String> wrong = new ArrayList<>();
            for (int i = 0; i < NUM; i++) {
                long desc = VRING0 + VringDescLayout.SIZE * i;
                long addr = VringDescLayout.addr(shm, desc);
                if (addr != 0x10000 + 512L * i || VringDescLayout.len(shm, desc) != 512
                        || VringDescLayout.flags(shm, desc) != VringDescLayout.F_WRITE) {
                    wrong.add("desc " + i + ": addr 0x" + Long.toHexString(addr) + " len "
                            + VringDescLayout.len(shm, desc) + " flags " + VringDescLayout.flags(shm, desc));
                }
                assertThat(VringAvailLayout.ring(shm, VRING0 + VringLayout.availOffset(NUM), i)).isEqualTo(i);
            }
            assertThat(wrong).as("RX descriptors not at 0x10000 + i*512").isEmpty();
            assertThat(demo.host.stats().txBuffersAllocated()).isZero();
        }
    }

    @Test
    void theHostCarvesTxBuffersLazilyFrom0x30000InOrderOnlyAsManyAsNeeded() throws Exception {
        try (Demo demo = new Demo()) {
            BlockingQueue<RpmsgMessage> held = new LinkedBlockingQueue<>();
            RpmsgEndpoint remote = demo.remote.createEndpoint("", RpmsgAddresses.ANY, RpmsgAddresses.ANY,
                    (ep, msg) -> held.add(msg.hold()));
            RpmsgEndpoint host = demo.host.createEndpoint("", RpmsgAddresses.ANY, remote.address(), (ep, msg) -> { });

            // one at a time, each returned before the next: one buffer, 0x30000, is enough
            List<Long> offsets = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                host.send(new byte[] {(byte) i});
                RpmsgMessage m = held.poll(10, TimeUnit.SECONDS);
                assertThat(m).isNotNull();
                offsets.add(demo.offsetOf(m.payload()));
                m.release();
                demo.awaitTxUsedIdx(i + 1);
            }
            assertThat(offsets).containsOnly(0x30000L);
            assertThat(demo.host.stats().txBuffersAllocated()).isEqualTo(1);

            // three outstanding at once: two more are carved, right after the first
            List<RpmsgMessage> outstanding = new ArrayList<>();
            offsets.clear();
            for (int i = 0; i < 3; i++) {
                host.send(new byte[] {(byte) i});
                RpmsgMessage m = held.poll(10, TimeUnit.SECONDS);
                assertThat(m).isNotNull();
                outstanding.add(m);
                offsets.add(demo.offsetOf(m.payload()));
            }
            assertThat(offsets).containsExactly(0x30000L, 0x30200L, 0x30400L);
            assertThat(demo.host.stats().txBuffersAllocated()).isEqualTo(3);
            // the host's TX descriptors name the same buffers, in send order (avail slots 3, 4, 5)
            assertThat(List.of(demo.availBuffer(VRING1, 3), demo.availBuffer(VRING1, 4), demo.availBuffer(VRING1, 5)))
                    .containsExactly(0x30000L, 0x30200L, 0x30400L);
            outstanding.forEach(RpmsgMessage::release);
        }
    }

    @Test
    void theHostBindsToTheAnnouncedDemoChannelAndTheEchoRemoteAnswersByteExactlyUntilTheShutdownMagic()
            throws Exception {
        CompletableFuture<RpmsgEndpoint> hostEndpoint = new CompletableFuture<>();
        BlockingQueue<byte[]> replies = new LinkedBlockingQueue<>();
        CountDownLatch unbound = new CountDownLatch(1);
        RpmsgListener hostListener = new RpmsgListener() {
            @Override
            public void onMessage(RpmsgEndpoint endpoint, RpmsgMessage message) {
                replies.add(message.toByteArray());
            }

            @Override
            public void onUnbind(RpmsgEndpoint endpoint) {
                unbound.countDown();
            }
        };
        // what the C ping host does: bind from the name-service callback, destination the announced address
        RpmsgOptions hostOptions = RpmsgOptions.defaults().withName("host").withBindHook((device, name, addr) -> {
            if (name.equals(OpenAmpLinuxProfile.ENDPOINT_NAME)) {
                hostEndpoint.complete(device.createEndpoint(name, RpmsgAddresses.ANY, addr, hostListener));
            }
        });
        try (Demo demo = new Demo(hostOptions, RpmsgOptions.defaults().withName("remote"))) {
            assertThat(demo.host.features()).isEqualTo(1);
            assertThat(demo.remote.features()).isEqualTo(1);
            assertThat(demo.shm.get(WireLayouts.LE_U32, VDEV + 16)).as("gfeatures").isEqualTo(1);
            assertThat(demo.host.rxBufferSize()).isEqualTo(512);
            assertThat(demo.host.txBufferSize()).isEqualTo(512);
            assertThat(demo.host.maxPayload()).isEqualTo(496);

            // the echo remote of the demo, which stops on the shutdown magic
            CountDownLatch shutdown = new CountDownLatch(1);
            AtomicInteger echoed = new AtomicInteger();
            RpmsgEndpoint echo = demo.remote.createEndpoint(OpenAmpLinuxProfile.ENDPOINT_NAME, (ep, msg) -> {
                if (msg.length() >= 4 && msg.getIntLE(0) == OpenAmpLinuxProfile.SHUTDOWN_MAGIC) {
                    shutdown.countDown();
                    return;
                }
                ep.send(msg.payload());
                echoed.incrementAndGet();
            });
            RpmsgEndpoint host = hostEndpoint.get(10, TimeUnit.SECONDS);
            assertThat(host.destination()).isEqualTo(echo.address());

            Random random = new Random(42);
            List<byte[]> sent = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                int size = i == 0 ? 496 : i == 1 ? 0 : i == 2 ? 1 : 1 + random.nextInt(496);
                byte[] payload = new byte[size];
                random.nextBytes(payload);
                if (size > 0) {
                    payload[0] = (byte) i; // never the magic's first byte 0x5a
                }
                sent.add(payload);
                host.send(payload);
            }
            for (int i = 0; i < 100; i++) {
                byte[] reply = replies.poll(10, TimeUnit.SECONDS);
                assertThat(reply).as("reply %d", i).isNotNull().containsExactly(sent.get(i));
            }

            byte[] magic = {0x5a, (byte) 0xa5, 0x56, (byte) 0xef, 'b', 'y', 'e'};
            host.send(magic);
            assertThat(shutdown.await(10, TimeUnit.SECONDS)).isTrue();
            echo.destroy(); // the echo remote stops: its endpoint goes, with an NS destroy
            assertThat(unbound.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(replies).as("the magic is not echoed").isEmpty();
            assertThat(echoed.get()).isEqualTo(100);

            // no CREATE_ACK or any other NS message from the host; the remote sent create, 100 echoes, destroy
            assertThat(demo.host.stats().sent()).isEqualTo(101);
            assertThat(demo.remote.stats().received()).isEqualTo(101);
            assertThat(demo.remote.stats().sent()).isEqualTo(1 + 100 + 1);
            assertThat(demo.host.stats().received()).isEqualTo(1 + 100 + 1);
            assertThat(demo.host.stats().droppedTotal()).isZero();
            assertThat(demo.remote.stats().droppedTotal()).isZero();
        }
    }

    @Test
    void theDemoTableOffersOnlyFNsSoNoExtensionIsNegotiatedWhateverTheHostAsksFor() throws Exception {
        try (Demo demo = new Demo(RpmsgOptions.defaults().withName("host").withFeatures(0xFFFF_FFFF),
                RpmsgOptions.defaults().withName("remote"))) {
            assertThat(demo.shm.get(WireLayouts.LE_U32, VDEV + 12)).as("dfeatures").isEqualTo(1);
            assertThat(demo.shm.get(WireLayouts.LE_U32, VDEV + 16)).as("gfeatures").isEqualTo(1);
            assertThat(demo.host.features()).isEqualTo(RpmsgAddresses.F_NS);
        }
    }
}
