package io.rptun.core.rpmsg;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static org.assertj.core.api.Assertions.assertThat;

import io.rptun.core.heap.CarveoutHeap;
import io.rptun.core.layout.MemoryPlan;
import io.rptun.core.layout.PlanOptions;
import io.rptun.core.layout.SharedMemoryPlanner;
import io.rptun.core.loopback.RpmsgLoopback;
import io.rptun.core.memory.AddressEnvironment;
import io.rptun.core.memory.SharedRegion;
import io.rptun.core.memory.WireLayouts;
import io.rptun.core.rsc.LiveResourceTable;
import io.rptun.core.rsc.ParseMode;
import io.rptun.core.rsc.ParsedResourceTable;
import io.rptun.core.rsc.ResourceTableParser;
import io.rptun.core.rsc.RptunRsc;
import io.rptun.core.virtio.Vring;
import io.rptun.core.virtio.VringAvailLayout;
import io.rptun.core.virtio.VringBuffer;
import io.rptun.core.virtio.VringDescLayout;
import io.rptun.core.virtio.VringLayout;
import io.rptun.core.virtio.VringUsedLayout;
import io.rptun.core.virtio.VirtqueuePort;
import io.rptun.core.virtio.VirtqueuePort.Mode;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The bytes rpmsg puts into shared memory, compared with fixtures derived by hand from docs/protocols.md
 * sections 2 and 3 (all integers little-endian, structs packed): {@code rpmsg_hdr} is src u32, dst u32,
 * reserved u32, len u16, flags u16, payload at +16; {@code rpmsg_ns_msg} is name[32], addr u32, flags u32,
 * sent to 0x35. Where a peer's behaviour is pinned, the peer is played by hand with raw virtqueue ports so
 * that every message it gets is seen.
 */
@Timeout(60)
class RpmsgWireFormatTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final int NUM = 16;

    // ------------------------------------------------------------------ hand-derived fixtures

    /** Host endpoint 0x400 to remote endpoint 0x0a0b, payload "hi". */
    private static final String DATA_HI = ""
            + "00 04 00 00" // src 0x400
            + "0b 0a 00 00" // dst 0x0a0b
            + "00 00 00 00" // reserved 0
            + "02 00" //       len 2
            + "00 00" //       flags 0
            + "68 69"; //      payload "hi"

    /** Remote endpoint 0x0a0b to host endpoint 0x400, payload "hey!". */
    private static final String DATA_HEY = ""
            + "0b 0a 00 00" // src 0x0a0b
            + "00 04 00 00" // dst 0x400
            + "00 00 00 00" // reserved 0
            + "04 00" //       len 4
            + "00 00" //       flags 0
            + "68 65 79 21"; // payload "hey!"

    /** "rpmsg-openamp-demo-channel" (26 bytes) NUL-padded to 32. */
    private static final String DEMO_NAME = ""
            + "72 70 6d 73 67 2d 6f 70 65 6e 61 6d 70 2d 64 65" // "rpmsg-openamp-de"
            + "6d 6f 2d 63 68 61 6e 6e 65 6c" //                 "mo-channel"
            + "00 00 00 00 00 00"; //                            6 NULs
    /** "svc" NUL-padded to 32. */
    private static final String SVC_NAME = "73 76 63" // "svc"
            + "00 00 00 00 00 00 00 00 00 00 00 00 00" //  13 NULs
            + "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"; // 16 NULs

    /** The header of a name-service message from endpoint {@code src} (8 hex digits, LE bytes). */
    private static String nsHeader(String src) {
        return src //      src
                + "35 00 00 00" // dst 0x35, the name service
                + "00 00 00 00" // reserved 0
                + "28 00" //       len 40
                + "00 00"; //      flags 0
    }

    private static final String NS_CREATE_DEMO_0X400 = nsHeader("00 04 00 00") + DEMO_NAME
            + "00 04 00 00" + "00 00 00 00"; // addr 0x400, flags 0 CREATE
    private static final String NS_DESTROY_DEMO_0X400 = nsHeader("00 04 00 00") + DEMO_NAME
            + "00 04 00 00" + "01 00 00 00"; // addr 0x400, flags 1 DESTROY
    private static final String NS_CREATE_SVC_0X1000 = nsHeader("00 10 00 00") + SVC_NAME
            + "00 10 00 00" + "00 00 00 00"; // addr 0x1000, flags 0 CREATE
    private static final String NS_CREATE_ACK_SVC_0X1000 = nsHeader("00 10 00 00") + SVC_NAME
            + "00 10 00 00" + "02 00 00 00"; // addr 0x1000, flags 2 CREATE_ACK
    private static final String NS_CREATE_SVC_0X400 = nsHeader("00 04 00 00") + SVC_NAME
            + "00 04 00 00" + "00 00 00 00"; // addr 0x400, flags 0 CREATE
    private static final String NS_CREATE_ACK_SVC_0X400 = nsHeader("00 04 00 00") + SVC_NAME
            + "00 04 00 00" + "02 00 00 00"; // addr 0x400, flags 2 CREATE_ACK
    /** What a hand-played remote sends: NS create of "svc" at 0x77. */
    private static final String NS_CREATE_SVC_0X77 = nsHeader("77 00 00 00") + SVC_NAME
            + "77 00 00 00" + "00 00 00 00"; // addr 0x77, flags 0 CREATE

    /** Endpoint 0x401 to 0x77, payload "m". */
    private static final String MARKER_0X401_TO_0X77 = "01 04 00 00" + "77 00 00 00" // src, dst
            + "00 00 00 00" + "01 00" + "00 00" + "6d"; // reserved 0, len 1, flags 0, "m"

    private static byte[] hex(String fixture) {
        return HexFormat.of().parseHex(fixture.replaceAll("\\s+", ""));
    }

    /** A 512-byte buffer: the fixture, then junk (0xee) that must never be read. */
    private static byte[] wholeBuffer(String fixture) {
        byte[] buffer = new byte[512];
        Arrays.fill(buffer, (byte) 0xee);
        byte[] frame = hex(fixture);
        System.arraycopy(frame, 0, buffer, 0, frame.length);
        return buffer;
    }

    private static byte[] bytes(MemorySegment memory, long offset, int length) {
        return memory.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE);
    }

    // ------------------------------------------------------------------ layouts

    @Test
    void rpmsgHeaderIs16PackedLittleEndianBytesAsWireFormatSays() {
        assertThat(RpmsgHeaderLayout.SIZE).isEqualTo(16);
        assertThat(RpmsgHeaderLayout.LAYOUT.byteSize()).isEqualTo(16);
        assertThat(RpmsgHeaderLayout.SRC_OFFSET).isZero();
        assertThat(RpmsgHeaderLayout.DST_OFFSET).isEqualTo(4);
        assertThat(RpmsgHeaderLayout.RESERVED_OFFSET).isEqualTo(8);
        assertThat(RpmsgHeaderLayout.LEN_OFFSET).isEqualTo(12);
        assertThat(RpmsgHeaderLayout.FLAGS_OFFSET).isEqualTo(14);
        for (String field : List.of("src", "dst", "reserved", "len", "flags")) {
            ValueLayout layout = (ValueLayout) RpmsgHeaderLayout.LAYOUT.select(groupElement(field));
            assertThat(layout.order()).as(field).isEqualTo(ByteOrder.LITTLE_ENDIAN);
        }
        assertThat(RpmsgHeaderLayout.LAYOUT.select(groupElement("len")).byteSize()).isEqualTo(2);
        assertThat(RpmsgHeaderLayout.LAYOUT.select(groupElement("flags")).byteSize()).isEqualTo(2);
    }

    @Test
    void nameServiceMessageIs40BytesWithNameAddrAndFlagsAsWireFormatSays() {
        assertThat(RpmsgNsMessageLayout.SIZE).isEqualTo(40);
        assertThat(RpmsgNsMessageLayout.NAME_SIZE).isEqualTo(32);
        assertThat(RpmsgNsMessageLayout.NAME_OFFSET).isZero();
        assertThat(RpmsgNsMessageLayout.LAYOUT.select(groupElement("name")).byteSize()).isEqualTo(32);
        assertThat(RpmsgNsMessageLayout.ADDR_OFFSET).isEqualTo(32);
        assertThat(RpmsgNsMessageLayout.FLAGS_OFFSET).isEqualTo(36);
        assertThat(RpmsgNsMessageLayout.CREATE).isZero();
        assertThat(RpmsgNsMessageLayout.DESTROY).isEqualTo(1);
        assertThat(RpmsgNsMessageLayout.CREATE_ACK).isEqualTo(2);
        assertThat(RpmsgAddresses.NS_ADDR).isEqualTo(0x35);
        assertThat(RpmsgAddresses.FIRST_DYNAMIC).isEqualTo(0x400);
        assertThat(RpmsgAddresses.F_NS).isEqualTo(1 << 0);
        assertThat(RpmsgAddresses.F_ACK).isEqualTo(1 << 1);
    }

    @Test
    void layoutWritersProduceTheHandDerivedBytes() {
        byte[] header = new byte[16 + 2];
        RpmsgHeaderLayout.write(MemorySegment.ofArray(header), 0x400, 0x0a0b, 2);
        header[16] = 'h';
        header[17] = 'i';
        assertThat(header).containsExactly(hex(DATA_HI));

        byte[] ns = new byte[40];
        MemorySegment nsSegment = MemorySegment.ofArray(ns);
        nsSegment.fill((byte) 0x5a); // the writer must NUL-pad, not leave old bytes
        RpmsgNsMessageLayout.write(nsSegment, "svc", 0x1000, RpmsgNsMessageLayout.CREATE_ACK);
        assertThat(ns).containsExactly(Arrays.copyOfRange(hex(NS_CREATE_ACK_SVC_0X1000), 16, 56));
    }

    // ------------------------------------------------------------------ (a) data messages in a loopback

    @Test
    void aHostDataMessageIsHeaderPlusPayloadInADriverTxBufferWhoseDescriptorCarriesTheWholeBuffer()
            throws Exception {
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(NUM, 512))) {
            BlockingQueue<RpmsgMessage> held = new LinkedBlockingQueue<>();
            loop.remote().createEndpoint("", 0x0a0b, RpmsgAddresses.ANY, (ep, msg) -> held.add(msg.hold()));
            RpmsgEndpoint host = loop.host().createEndpoint("", RpmsgAddresses.ANY, 0x0a0b, (ep, msg) -> { });
            assertThat(host.address()).isEqualTo(0x400);
            host.send("hi".getBytes(StandardCharsets.US_ASCII));
            RpmsgMessage message = held.poll(10, TimeUnit.SECONDS);
            assertThat(message).isNotNull();

            MemorySegment memory = loop.memory();
            long vring = loop.plan().vring(0, 1).offset();
            long avail = vring + VringLayout.availOffset(NUM);
            assertThat(VringAvailLayout.idxAcquire(memory, avail)).isEqualTo(1);
            int head = VringAvailLayout.ring(memory, avail, 0);
            long desc = vring + VringDescLayout.SIZE * head;
            long addr = VringDescLayout.addr(memory, desc);
            assertThat(bytes(memory, addr, 18)).containsExactly(hex(DATA_HI));
            assertThat(VringDescLayout.len(memory, desc)).isEqualTo(512);
            assertThat(VringDescLayout.flags(memory, desc) & VringDescLayout.F_WRITE).isZero();
            assertThat(VringDescLayout.flags(memory, desc)).isZero();
            // the remote reads the payload in place, from the very buffer desc.addr names
            assertThat(message.payload().address() - memory.address()).isEqualTo(addr + 16);
            assertThat(message.length()).isEqualTo(2);

            // returned: the remote's used entry says desc.len (512), whatever hdr.len was
            message.release();
            host.send("hi".getBytes(StandardCharsets.US_ASCII));
            RpmsgMessage second = held.poll(10, TimeUnit.SECONDS);
            assertThat(second).isNotNull();
            long used = vring + VringLayout.usedOffset(NUM, 0x1000);
            assertThat(VringUsedLayout.idxAcquire(memory, used)).isEqualTo(1);
            assertThat(VringUsedLayout.id(memory, used, 0)).isEqualTo(head);
            assertThat(VringUsedLayout.len(memory, used, 0)).isEqualTo(512);
            second.release();
        }
    }

    @Test
    void aRemoteDataMessageFillsADeviceWritableHostRxBufferAndUsedLenIsWhatTheRemoteWrote() throws Exception {
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(NUM, 512))) {
            BlockingQueue<RpmsgMessage> held = new LinkedBlockingQueue<>();
            RpmsgEndpoint host = loop.host().createEndpoint("", RpmsgAddresses.ANY, RpmsgAddresses.ANY,
                    (ep, msg) -> held.add(msg.hold()));
            RpmsgEndpoint remote = loop.remote().createEndpoint("", 0x0a0b, host.address(), (ep, msg) -> { });
            remote.send("hey!".getBytes(StandardCharsets.US_ASCII));
            RpmsgMessage message = held.poll(10, TimeUnit.SECONDS);
            assertThat(message).isNotNull();

            MemorySegment memory = loop.memory();
            long vring = loop.plan().vring(0, 0).offset();
            long used = vring + VringLayout.usedOffset(NUM, 0x1000);
            assertThat(VringUsedLayout.idxAcquire(memory, used)).isEqualTo(1);
            int head = VringUsedLayout.id(memory, used, 0);
            assertThat(VringUsedLayout.len(memory, used, 0)).isEqualTo(16 + 4);
            long desc = vring + VringDescLayout.SIZE * head;
            long addr = VringDescLayout.addr(memory, desc);
            assertThat(bytes(memory, addr, 20)).containsExactly(hex(DATA_HEY));
            assertThat(VringDescLayout.flags(memory, desc)).isEqualTo(VringDescLayout.F_WRITE);
            assertThat(VringDescLayout.len(memory, desc)).isEqualTo(512);
            assertThat(message.payload().address() - memory.address()).isEqualTo(addr + 16);
            message.release();
        }
    }

    // ------------------------------------------------------------------ (b) name service in a loopback

    @Test
    void aNamedHostEndpointPutsAn56ByteNsCreateOnTheRingAndItsDestroyAnNsDestroy() throws Exception {
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(NUM, 512))) {
            MemorySegment memory = loop.memory();
            long vring = loop.plan().vring(0, 1).offset();
            RpmsgEndpoint ep = loop.host().createEndpoint("rpmsg-openamp-demo-channel", (e, m) -> { });
            assertThat(lastAvailBytes(memory, vring, 1, 56)).containsExactly(hex(NS_CREATE_DEMO_0X400));
            ep.destroy();
            assertThat(lastAvailBytes(memory, vring, 2, 56)).containsExactly(hex(NS_DESTROY_DEMO_0X400));
        }
    }

    @ParameterizedTest(name = "F_ACK {0}")
    @ValueSource(booleans = {true, false})
    void theHostAnswersTheRemotesNsCreateWithCreateAckWithFAckAndWithAPlainCreateWithout(boolean ack)
            throws Exception {
        CountDownLatch announced = new CountDownLatch(1);
        RpmsgOptions hostOptions = RpmsgOptions.defaults().withName("host")
                .withFeatures(ack ? RpmsgAddresses.SUPPORTED : RpmsgAddresses.F_NS)
                .withBindHook((device, name, addr) -> announced.countDown());
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(NUM, 512), hostOptions,
                RpmsgOptions.defaults().withName("remote"))) {
            assertThat(loop.table().gfeatures(0) & RpmsgAddresses.F_ACK).isEqualTo(ack ? RpmsgAddresses.F_ACK : 0);
            RpmsgEndpoint remote = loop.remote().createEndpoint("svc", (e, m) -> { });
            assertThat(announced.await(10, TimeUnit.SECONDS)).isTrue();
            RpmsgEndpoint host = loop.host().createEndpoint("svc", 0x1000, RpmsgAddresses.ANY, (e, m) -> { });
            assertThat(host.destination()).isEqualTo(remote.address());
            assertThat(lastAvailBytes(loop.memory(), loop.plan().vring(0, 1).offset(), 1, 56))
                    .containsExactly(hex(ack ? NS_CREATE_ACK_SVC_0X1000 : NS_CREATE_SVC_0X1000));
            assertThat(remote.awaitBound(WAIT)).isTrue();
            assertThat(remote.destination()).isEqualTo(0x1000);
        }
    }

    /** The first {@code length} bytes of the buffer named by the last of {@code expectedIdx} avail entries. */
    private static byte[] lastAvailBytes(MemorySegment memory, long vring, int expectedIdx, int length) {
        long avail = vring + VringLayout.availOffset(NUM);
        int idx = VringAvailLayout.idxAcquire(memory, avail);
        assertThat(idx).as("avail.idx").isEqualTo(expectedIdx);
        int head = VringAvailLayout.ring(memory, avail, (idx - 1) & (NUM - 1));
        long desc = vring + VringDescLayout.SIZE * head;
        assertThat(VringDescLayout.len(memory, desc)).as("desc.len").isEqualTo(512);
        assertThat(VringDescLayout.flags(memory, desc)).as("desc.flags").isZero();
        return bytes(memory, VringDescLayout.addr(memory, desc), length);
    }

    // ------------------------------------------------------------------ (b) name service against raw peers

    @ParameterizedTest(name = "F_ACK {0}")
    @ValueSource(booleans = {true, false})
    void theHostSendsCreateAckToTheRawRemotesNsCreateExactlyWhenFAckIsNegotiated(boolean ack) throws Exception {
        int features = ack ? RpmsgAddresses.SUPPORTED : RpmsgAddresses.F_NS;
        BlockingQueue<byte[]> got = new LinkedBlockingQueue<>();
        try (RawRemote raw = new RawRemote(RpmsgOptions.defaults().withName("host").withFeatures(features))) {
            RpmsgEndpoint host = raw.host.createEndpoint("svc", 0x1000, RpmsgAddresses.ANY,
                    (ep, msg) -> got.add(msg.toByteArray()));
            raw.send(hex(NS_CREATE_SVC_0X77), 16 + 40);
            raw.send(hex("77 00 00 00" + "00 10 00 00" + "00 00 00 00" + "01 00" + "00 00" + "6d"), 17);
            assertThat(got.poll(10, TimeUnit.SECONDS)).containsExactly('m');
            assertThat(host.destination()).isEqualTo(0x77);
            List<Frame> frames = drain(raw.rx);
            List<byte[]> expected = new ArrayList<>(List.of(hex(NS_CREATE_SVC_0X1000)));
            if (ack) {
                expected.add(hex(NS_CREATE_ACK_SVC_0X1000));
            }
            assertThat(frames).extracting(Frame::bytes).containsExactlyElementsOf(expected);
            assertThat(frames).extracting(Frame::ringLen).containsOnly(512);
        }
    }

    @ParameterizedTest(name = "F_ACK {0}")
    @ValueSource(booleans = {true, false})
    void theRemoteSendsCreateAckToTheRawHostsNsCreateExactlyWhenFAckIsNegotiated(boolean ack) throws Exception {
        int features = ack ? RpmsgAddresses.SUPPORTED : RpmsgAddresses.F_NS;
        BlockingQueue<byte[]> got = new LinkedBlockingQueue<>();
        try (RawHost raw = new RawHost(features, RpmsgOptions.defaults().withName("remote"))) {
            RpmsgEndpoint remote = raw.remote.createEndpoint("svc", (ep, msg) -> got.add(msg.toByteArray()));
            assertThat(remote.address()).isEqualTo(0x400);
            raw.send(hex(NS_CREATE_SVC_0X1000));
            raw.send(hex("00 10 00 00" + "00 04 00 00" + "00 00 00 00" + "01 00" + "00 00" + "6d"));
            assertThat(got.poll(10, TimeUnit.SECONDS)).containsExactly('m');
            assertThat(remote.destination()).isEqualTo(0x1000);
            List<Frame> frames = drain(raw.rx);
            List<byte[]> expected = new ArrayList<>(List.of(hex(NS_CREATE_SVC_0X400)));
            if (ack) {
                expected.add(hex(NS_CREATE_ACK_SVC_0X400));
            }
            assertThat(frames).extracting(Frame::bytes).containsExactlyElementsOf(expected);
            assertThat(frames).extracting(Frame::ringLen).containsOnly(16 + 40);
        }
    }

    // ------------------------------------------------------------------ (c) the host's RX ring after start-up

    @Test
    void afterTheHandshakeEveryHostRxDescriptorIsAWritableR2hBufferInTheHeapAndTheTableSaysDriverOk() {
        int wanted = RpmsgAddresses.F_NS | RpmsgAddresses.F_BUFSZ | RpmsgAddresses.F_CPUNAME;
        RptunRsc rsc = RpmsgLoopback.table(NUM, 512).withBufferSizes(512, 384);
        try (RpmsgLoopback loop = RpmsgLoopback.start(rsc, RpmsgOptions.defaults().withName("host")
                .withFeatures(wanted), RpmsgOptions.defaults().withName("remote"))) {
            MemorySegment memory = loop.memory();
            long vdev = loop.table().parsed().vdevOffset(0);
            int dfeatures = memory.get(WireLayouts.LE_U32, vdev + 12);
            assertThat(dfeatures).isEqualTo(RpmsgAddresses.SUPPORTED);
            assertThat(memory.get(WireLayouts.LE_U32, vdev + 16)).isEqualTo(dfeatures & wanted);
            assertThat(memory.get(ValueLayout.JAVA_BYTE, vdev + 24)).isEqualTo((byte) 4);

            long vring = loop.plan().vring(0, 0).offset();
            long avail = vring + VringLayout.availOffset(NUM);
            assertThat(VringAvailLayout.idxAcquire(memory, avail)).isEqualTo(NUM);
            Set<Integer> heads = new HashSet<>();
            List<Long> addrs = new ArrayList<>();
            for (int slot = 0; slot < NUM; slot++) {
                heads.add(VringAvailLayout.ring(memory, avail, slot));
            }
            assertThat(heads).hasSize(NUM).allMatch(h -> h >= 0 && h < NUM);
            CarveoutHeap heap = loop.heap();
            for (int i = 0; i < NUM; i++) {
                long desc = vring + VringDescLayout.SIZE * i;
                assertThat(VringDescLayout.flags(memory, desc)).as("desc %d flags", i)
                        .isEqualTo(VringDescLayout.F_WRITE);
                assertThat(VringDescLayout.len(memory, desc)).as("desc %d len", i).isEqualTo(384);
                long addr = VringDescLayout.addr(memory, desc);
                assertThat(addr).as("desc %d addr", i).isBetween(heap.baseOffset(), heap.endOffset() - 384);
                addrs.add(addr);
            }
            List<Long> sorted = addrs.stream().sorted().toList();
            for (int i = 1; i < NUM; i++) {
                assertThat(sorted.get(i) - sorted.get(i - 1)).as("buffers overlap").isGreaterThanOrEqualTo(384);
            }
            long used = vring + VringLayout.usedOffset(NUM, 0x1000);
            assertThat(VringUsedLayout.idxAcquire(memory, used)).isZero();
            long tx = loop.plan().vring(0, 1).offset();
            assertThat(VringAvailLayout.idxAcquire(memory, tx + VringLayout.availOffset(NUM))).isZero();
            assertThat(loop.host().rxBufferSize()).isEqualTo(384);
        }
    }

    // ------------------------------------------------------------------ (d) hdr.len, never used.len

    @ParameterizedTest(name = "used.len {0}")
    @ValueSource(ints = {512, 21, 16, 0})
    void theHostDeliversHdrLenBytesWhateverUsedLenTheRemoteReturns(int usedLen) throws Exception {
        BlockingQueue<byte[]> got = new LinkedBlockingQueue<>();
        try (RawRemote raw = new RawRemote(RpmsgOptions.defaults().withName("host"))) {
            RpmsgEndpoint host = raw.host.createEndpoint("", RpmsgAddresses.ANY, RpmsgAddresses.ANY,
                    (ep, msg) -> got.add(msg.toByteArray()));
            raw.send(wholeBuffer("77 00 00 00" + "00 04 00 00" + "00 00 00 00" + "05 00" + "00 00"
                    + "01 02 03 04 05"), usedLen);
            assertThat(got.poll(10, TimeUnit.SECONDS)).containsExactly(1, 2, 3, 4, 5);
            assertThat(host.destination()).isEqualTo(0x77);
            assertThat(raw.host.stats().droppedTotal()).isZero();
        }
    }

    @Test
    void theRemoteDeliversHdrLenBytesOfAWholeBufferTheRawHostSends() throws Exception {
        BlockingQueue<byte[]> got = new LinkedBlockingQueue<>();
        try (RawHost raw = new RawHost(RpmsgAddresses.F_NS, RpmsgOptions.defaults().withName("remote"))) {
            raw.remote.createEndpoint("", 0x400, RpmsgAddresses.ANY, (ep, msg) -> got.add(msg.toByteArray()));
            raw.send(wholeBuffer("00 10 00 00" + "00 04 00 00" + "00 00 00 00" + "05 00" + "00 00"
                    + "01 02 03 04 05"));
            assertThat(got.poll(10, TimeUnit.SECONDS)).containsExactly(1, 2, 3, 4, 5);
        }
    }

    // ------------------------------------------------------------------ (e) F_NS off

    @Test
    void withoutFNsANamedHostEndpointSendsNothingToTheNameService() throws Exception {
        try (RawRemote raw = new RawRemote(RpmsgOptions.defaults().withName("host").withFeatures(0))) {
            assertThat(raw.host.features()).isZero();
            raw.host.createEndpoint("svc", (ep, msg) -> { });
            raw.host.createEndpoint("", RpmsgAddresses.ANY, 0x77, (ep, msg) -> { }).send(new byte[] {'m'});
            List<Frame> frames = drain(raw.rx);
            assertThat(frames).hasSize(1);
            assertThat(frames.getFirst().bytes())
                    .containsExactly(hex(MARKER_0X401_TO_0X77));
        }
    }

    @Test
    void withoutFNsANamedRemoteEndpointSendsNothingToTheNameService() throws Exception {
        try (RawHost raw = new RawHost(0, RpmsgOptions.defaults().withName("remote"))) {
            assertThat(raw.remote.features()).isZero();
            raw.remote.createEndpoint("svc", (ep, msg) -> { });
            raw.remote.createEndpoint("", RpmsgAddresses.ANY, 0x77, (ep, msg) -> { }).send(new byte[] {'m'});
            List<Frame> frames = drain(raw.rx);
            assertThat(frames).hasSize(1);
            assertThat(frames.getFirst().bytes())
                    .containsExactly(hex(MARKER_0X401_TO_0X77));
        }
    }

    // ------------------------------------------------------------------ raw peers

    /** A message as it lay in a buffer (header and hdr.len payload bytes) and the ring's length for it. */
    record Frame(byte[] bytes, int ringLen) {
    }

    /** RpmsgLoopback's memory set-up: a NuttX table with a carveout, planned, applied, with the host's heap. */
    private static final class Shared implements AutoCloseable {
        final Arena arena = Arena.ofShared();
        final MemorySegment memory;
        final LiveResourceTable table;
        final CarveoutHeap heap;
        final SharedRegion region;

        Shared(RptunRsc rsc) {
            long size = 0x40000;
            RptunRsc sized = rsc.withCarveout(0xFFFF_FFFFL, 0xFFFF_FFFFL,
                    size - WireLayouts.alignUp(rsc.generation().size(), 0x1000));
            byte[] bytes = sized.toBytes();
            memory = arena.allocate(size, 4096);
            MemorySegment.copy(MemorySegment.ofArray(bytes), 0, memory, 0, bytes.length);
            ParsedResourceTable parsed = ResourceTableParser.parse(memory, ParseMode.NUTTX);
            MemoryPlan plan = SharedMemoryPlanner.plan(parsed.table(),
                    PlanOptions.of(size).withTableReserve(rsc.generation().size()));
            table = parsed.attach(memory);
            plan.apply(memory, table);
            heap = plan.carveoutHeap(0);
            region = SharedRegion.of(memory, 0, AddressEnvironment.identity());
        }

        Vring vring(int index) {
            return Vring.at(region, table.vringDa(0, index), NUM, 0x1000);
        }

        @Override
        public void close() {
            arena.close();
        }
    }

    /** Copies the frame out of a buffer: the header and hdr.len bytes (bounded by the buffer). */
    private static Frame frame(VringBuffer b) {
        int len = Short.toUnsignedInt(b.segment().get(WireLayouts.LE_U16, 12));
        int n = (int) Math.min(b.capacity(), 16 + len);
        return new Frame(b.segment().asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), b.length());
    }

    /**
     * Every message the peer has put on a raw RECEIVE port so far, in order, with the ring's length (desc.len
     * on a device port, used.len on a driver port); the buffers go back.
     */
    private static List<Frame> drain(VirtqueuePort rx) {
        List<Frame> frames = new ArrayList<>();
        while (rx.receive(b -> {
            frames.add(frame(b));
            rx.submit(b);
        }, NUM) > 0) {
            // until nothing is left
        }
        return frames;
    }

    private static void stopRunner(RpmsgRunner runner) throws InterruptedException {
        runner.close();
        assertThat(runner.thread().join(WAIT)).isTrue();
    }

    /** A Java host against a remote played by hand: remote TX = vring 0 SEND device port, RX = vring 1 RECEIVE. */
    private static final class RawRemote implements AutoCloseable {
        final Shared shared = new Shared(RpmsgLoopback.table(NUM, 512));
        final ParkingDoorbell hostBell = new ParkingDoorbell();
        final ParkingDoorbell rawBell = new ParkingDoorbell();
        final RpmsgDevice host;
        final RpmsgRunner runner;
        final VirtqueuePort tx;
        final VirtqueuePort rx;

        RawRemote(RpmsgOptions hostOptions) {
            // RpmsgDevice takes the deprecated rpmsg type until its split is merged: of() goes with it.
            host = RpmsgDevice.host(shared.region, shared.table, shared.heap, rawBell, hostOptions);
            runner = RpmsgRunner.start(host, hostBell, "host-rpmsg");
            tx = VirtqueuePort.device("raw.tx", shared.vring(0), shared.region, Mode.SEND, hostBell::ring);
            rx = VirtqueuePort.device("raw.rx", shared.vring(1), shared.region, Mode.RECEIVE, hostBell::ring);
        }

        /** Writes {@code bytes} at the start of a host RX buffer and returns it with used.len {@code usedLen}. */
        void send(byte[] bytes, int usedLen) {
            VringBuffer b = tx.acquire();
            assertThat(b).as("a host RX buffer").isNotNull();
            MemorySegment.copy(bytes, 0, b.segment(), ValueLayout.JAVA_BYTE, 0, bytes.length);
            b.length(usedLen);
            tx.submit(b);
        }

        @Override
        public void close() throws InterruptedException {
            try {
                host.close();
                stopRunner(runner);
            } finally {
                shared.close();
            }
        }
    }

    /** A Java remote against a host played by hand: it does the driver's handshake itself. */
    private static final class RawHost implements AutoCloseable {
        final Shared shared = new Shared(RpmsgLoopback.table(NUM, 512));
        final ParkingDoorbell remoteBell = new ParkingDoorbell();
        final ParkingDoorbell rawBell = new ParkingDoorbell();
        final RpmsgDevice remote;
        final RpmsgRunner runner;
        final VirtqueuePort tx;
        final VirtqueuePort rx;

        RawHost(int gfeatures, RpmsgOptions remoteOptions) {
            LiveResourceTable table = shared.table;
            table.setStatus(0, 0);
            table.setGfeatures(0, gfeatures);
            Vring rxRing = shared.vring(0);
            Vring txRing = shared.vring(1);
            rxRing.clear();
            txRing.clear();
            rx = VirtqueuePort.driver("raw.rx", rxRing, shared.region, Mode.RECEIVE, remoteBell::ring);
            tx = VirtqueuePort.driver("raw.tx", txRing, shared.region, Mode.SEND, remoteBell::ring);
            for (int i = 0; i < NUM; i++) {
                rx.stage(Objects.requireNonNull(rx.allocateBuffer(shared.heap, 512)));
                tx.release(Objects.requireNonNull(tx.allocateBuffer(shared.heap, 512)));
            }
            rx.flush();
            remote = RpmsgDevice.remote(shared.region, table, rawBell, remoteOptions);
            table.setStatus(0, RpmsgAddresses.STATUS_DRIVER_OK);
            runner = RpmsgRunner.start(remote, remoteBell, "remote-rpmsg");
            assertThat(remote.awaitReady(WAIT)).isTrue();
        }

        /** Sends {@code bytes} in a whole TX buffer: desc.len 512, as a driver does. */
        void send(byte[] bytes) {
            VringBuffer b = tx.acquire();
            assertThat(b).as("a free raw host TX buffer").isNotNull();
            MemorySegment.copy(bytes, 0, b.segment(), ValueLayout.JAVA_BYTE, 0, bytes.length);
            b.length(512);
            tx.submit(b);
        }

        @Override
        public void close() throws InterruptedException {
            try {
                remote.close();
                stopRunner(runner);
            } finally {
                shared.close();
            }
        }
    }
}
