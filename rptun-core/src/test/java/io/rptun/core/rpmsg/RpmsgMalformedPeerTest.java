package io.rptun.core.rpmsg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.rptun.core.heap.HeapStats;
import io.rptun.core.rpmsg.RpmsgException.Reason;
import io.rptun.core.rpmsg.RpmsgRawPeer.HostRig;
import io.rptun.core.rpmsg.RpmsgRawPeer.Inbox;
import io.rptun.core.rpmsg.RpmsgRawPeer.Received;
import io.rptun.core.rpmsg.RpmsgRawPeer.RemoteRig;
import io.rptun.core.virtio.VringBuffer;
import io.rptun.core.virtio.VringException;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A real {@link RpmsgDevice} against a raw peer that writes whatever it likes into the shared segment
 * (docs/protocols.md section 3): a malformed message is dropped with a typed reason, counted, reported and
 * its buffer returned, and the device keeps serving; a corrupt ring breaks the device with
 * {@link Reason#DEVICE_BROKEN} and nothing else escapes. The tests serve the real device themselves with
 * {@link RpmsgDevice#process()}; nobody kicks.
 */
@Timeout(60)
class RpmsgMalformedPeerTest {
    private static final int NUM = RpmsgRawPeer.NUM;
    private static final int BUFFER = RpmsgRawPeer.BUFFER;
    /** The largest payload: the buffer after its 16-byte header (a constant, for annotations). */
    private static final int MAX = BUFFER - 16;
    private static final int PEER = RpmsgRawPeer.PEER;
    private static final HexFormat HEX = RpmsgRawPeer.HEX;

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** A well-formed NS create for "svc" at the raw peer's address. */
    static byte[] createSvc() {
        return RpmsgRawPeer.nsMessage(bytes("svc"), PEER, RpmsgNsMessageLayout.CREATE);
    }

    static byte[] filled(int length, int seed) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** The reason of the RpmsgException {@code call} threw, else what happened instead. */
    static Object outcome(Runnable call) {
        try {
            call.run();
            return "returned normally";
        } catch (RpmsgException e) {
            return e.reason();
        } catch (RuntimeException | Error e) {
            return e;
        }
    }

    static Reason reasonOf(Throwable thrown) {
        assertThat(thrown).isInstanceOf(RpmsgException.class);
        return ((RpmsgException) thrown).reason();
    }

    static byte[] tableBytes(RpmsgRawPeer peer) {
        return peer.region().segment().asSlice(0, peer.table().parsed().extent()).toArray(ValueLayout.JAVA_BYTE);
    }

    /**
     * What a device that {@code thrown} broke owes its user afterwards, checked softly so that each broken
     * promise shows: the thrown exception's cause is the ring's violation (RpmsgException.Reason
     * DEVICE_BROKEN says so), the endpoint that lost its destination in the break was told once, and
     * every later send, the endpoint's own destination-taking ones included, fails with DEVICE_BROKEN.
     */
    static void assertAfterBreak(Throwable thrown, VringException.Reason violation, RpmsgDevice device,
            RpmsgEndpoint ep, Inbox inbox) {
        assertThat(reasonOf(thrown)).isEqualTo(Reason.DEVICE_BROKEN);
        assertDeviceBroken(device, violation);
        assertThat(inbox.unbound).as("onUnbind of the endpoint bound before the break").isEqualTo(1);
        assertThat(ep.isBound()).isFalse();
        assertThatCode(device::dump).doesNotThrowAnyException();
        SoftAssertions.assertSoftly(soft -> {
            soft.assertThat(outcome(() -> ep.sendTo(PEER, bytes("x")))).as("sendTo").isEqualTo(Reason.DEVICE_BROKEN);
            soft.assertThat(outcome(ep::tryTxBuffer)).as("tryTxBuffer").isEqualTo(Reason.DEVICE_BROKEN);
            soft.assertThat(outcome(() -> device.createEndpoint("late", (e, m) -> { })))
                    .as("createEndpoint").isEqualTo(Reason.DEVICE_BROKEN);
            soft.assertThat(outcome(() -> ep.send(bytes("x")))).as("send").isEqualTo(Reason.DEVICE_BROKEN);
            soft.assertThat(outcome(() -> ep.trySend(bytes("x")))).as("trySend").isEqualTo(Reason.DEVICE_BROKEN);
            soft.assertThat(thrown.getCause()).as("getCause() of the DEVICE_BROKEN thrown").isInstanceOf(
                    VringException.class);
            if (thrown.getCause() instanceof VringException v) {
                soft.assertThat(v.reason()).isEqualTo(violation);
            }
        });
        assertThat(device.process()).isZero();
    }

    /** The device is BROKEN for good; its recorded failure carries the violation. */
    static void assertDeviceBroken(RpmsgDevice device, VringException.Reason violation) {
        assertThat(device.state()).isEqualTo(RpmsgDevice.State.BROKEN);
        RpmsgException failure = device.failure();
        assertThat(failure).isNotNull();
        assertThat(failure.reason()).isEqualTo(Reason.DEVICE_BROKEN);
        assertThat(failure.getCause()).isInstanceOf(VringException.class);
        assertThat(((VringException) failure.getCause()).reason()).isEqualTo(violation);
        assertThat(device.process()).as("process() on a broken device").isZero();
    }

    @Nested
    class MalformedHeadersFromARawRemote {
        @ParameterizedTest
        @ValueSource(ints = {0xFFFF, MAX + 1, 0x1000})
        void aLengthPastTheBufferIsDroppedCountedReportedAndItsBufferGoesBack(int len) {
            try (HostRig rig = new HostRig()) {
                Inbox inbox = new Inbox();
                RpmsgEndpoint ep = rig.host.createEndpoint("", RpmsgAddresses.ANY, RpmsgAddresses.ANY, inbox);
                int availBefore = rig.peer.availIdx(0);

                rig.send(PEER, ep.address(), 0, len, 0, filled(MAX, len));
                assertThat(rig.processAll()).isEqualTo(1);

                assertThat(rig.host.stats().dropped(Reason.LENGTH_BEYOND_BUFFER)).isEqualTo(1);
                assertThat(rig.host.stats().droppedTotal()).isEqualTo(1);
                assertThat(rig.dropReasons()).containsExactly(Reason.LENGTH_BEYOND_BUFFER);
                assertThat(inbox.payloads).isEmpty();
                assertThat(ep.isBound()).as("a dropped message binds nothing").isFalse();
                assertThat(rig.peer.availIdx(0)).as("the host posted the buffer again").isEqualTo(availBefore + 1);
                assertThat(rig.peer.availRing(0, availBefore)).isEqualTo(rig.peer.usedId(0, 0));
                assertThat(rig.raw.countFree()).as("every host RX buffer is the remote's to fill").isEqualTo(NUM);

                rig.send(ep.address(), bytes("after"));
                rig.processAll();
                assertThat(inbox.payloads).containsExactly(HEX.formatHex(bytes("after")));
                assertThat(rig.host.stats().droppedTotal()).isEqualTo(1);
                assertThat(rig.host.state()).isEqualTo(RpmsgDevice.State.READY);
            }
        }

        @Test
        void aLengthExactlyFillingTheBufferIsDeliveredWhole() {
            try (HostRig rig = new HostRig()) {
                Inbox inbox = new Inbox();
                RpmsgEndpoint ep = rig.host.createEndpoint("", RpmsgAddresses.ANY, RpmsgAddresses.ANY, inbox);
                assertThat(rig.host.maxPayload()).isEqualTo(MAX);
                byte[] payload = filled(MAX, 7);
                rig.send(ep.address(), payload);
                rig.processAll();
                assertThat(inbox.payloads).containsExactly(HEX.formatHex(payload));
                assertThat(inbox.sources).containsExactly(PEER);
                assertThat(ep.destination()).as("adopted from the first message").isEqualTo(PEER);
                assertThat(rig.host.stats().droppedTotal()).isZero();
                assertThat(rig.drops).isEmpty();
            }
        }

        @Test
        void anUnknownDestinationIsDroppedAndTheOtherEndpointsAreStillServed() {
            try (HostRig rig = new HostRig()) {
                Inbox a = new Inbox();
                Inbox b = new Inbox();
                RpmsgEndpoint epA = rig.host.createEndpoint("", RpmsgAddresses.ANY, RpmsgAddresses.ANY, a);
                RpmsgEndpoint epB = rig.host.createEndpoint("", RpmsgAddresses.ANY, RpmsgAddresses.ANY, b);
                rig.send(epA.address(), bytes("a1"));
                rig.send(0x7777, bytes("lost"));
                rig.send(epB.address(), bytes("b1"));
                rig.send(RpmsgAddresses.ANY, bytes("to ANY"));
                rig.send(epA.address(), bytes("a2"));
                assertThat(rig.processAll()).isEqualTo(5);

                assertThat(a.payloads).containsExactly(HEX.formatHex(bytes("a1")), HEX.formatHex(bytes("a2")));
                assertThat(b.payloads).containsExactly(HEX.formatHex(bytes("b1")));
                assertThat(rig.host.stats().dropped(Reason.UNKNOWN_DESTINATION)).isEqualTo(2);
                assertThat(rig.host.stats().droppedTotal()).isEqualTo(2);
                assertThat(rig.dropReasons()).containsExactly(Reason.UNKNOWN_DESTINATION, Reason.UNKNOWN_DESTINATION);
                assertThat(rig.raw.countFree()).isEqualTo(NUM);
            }
        }
    }

    @Nested
    class NameServiceFromARawRemote {
        @ParameterizedTest
        @ValueSource(ints = {0, 39, 41})
        void anNsMessageOfTheWrongSizeIsDroppedAndBindsNothing(int len) {
            try (HostRig rig = new HostRig()) {
                Inbox inbox = new Inbox();
                RpmsgEndpoint svc = rig.host.createEndpoint("svc", inbox);
                byte[] ns = Arrays.copyOf(createSvc(), len);
                rig.send(RpmsgAddresses.NS_ADDR, ns);
                rig.processAll();

                assertThat(rig.host.stats().dropped(Reason.NS_WRONG_SIZE)).isEqualTo(1);
                assertThat(rig.dropReasons()).containsExactly(Reason.NS_WRONG_SIZE);
                assertThat(svc.isBound()).isFalse();
                assertThat(inbox.bound).isZero();
                assertThat(rig.host.remoteServices()).isEmpty();

                rig.send(RpmsgAddresses.NS_ADDR, createSvc());
                rig.processAll();
                assertThat(svc.destination()).as("a well-formed NS create still binds").isEqualTo(PEER);
                assertThat(rig.host.stats().droppedTotal()).isEqualTo(1);
            }
        }

        static Stream<Arguments> malformed() {
            return Stream.of(
                    Arguments.of(RpmsgAddresses.SUPPORTED, PEER, 7),
                    Arguments.of(RpmsgAddresses.SUPPORTED, PEER, 3),
                    Arguments.of(RpmsgAddresses.SUPPORTED, RpmsgAddresses.ANY, RpmsgNsMessageLayout.CREATE),
                    Arguments.of(RpmsgAddresses.SUPPORTED, RpmsgAddresses.ANY, RpmsgNsMessageLayout.DESTROY),
                    Arguments.of(RpmsgAddresses.F_NS, PEER, RpmsgNsMessageLayout.CREATE_ACK));
        }

        @ParameterizedTest
        @MethodSource("malformed")
        void anNsMessageWithUnknownFlagsAddressAnyOrAnUnnegotiatedAckIsMalformed(int features, int addr, int flags) {
            try (HostRig rig = new HostRig(o -> o.withFeatures(features))) {
                Inbox inbox = new Inbox();
                RpmsgEndpoint svc = rig.host.createEndpoint("svc", inbox);
                rig.send(RpmsgAddresses.NS_ADDR, RpmsgRawPeer.nsMessage(bytes("svc"), addr, flags));
                rig.processAll();

                assertThat(rig.host.stats().dropped(Reason.NS_MALFORMED)).isEqualTo(1);
                assertThat(rig.dropReasons()).containsExactly(Reason.NS_MALFORMED);
                assertThat(svc.isBound()).isFalse();
                assertThat(rig.host.remoteServices()).isEmpty();

                rig.send(RpmsgAddresses.NS_ADDR, createSvc());
                rig.processAll();
                assertThat(svc.destination()).isEqualTo(PEER);
                assertThat(inbox.bound).isEqualTo(1);
            }
        }

        @Test
        void aNameOfThirtyTwoBytesWithoutNulIsTakenWholeAndNoFurther() {
            List<String> hooked = new ArrayList<>();
            try (HostRig rig = new HostRig(o -> o.withBindHook((device, service, addr) -> hooked.add(service)))) {
                String name = "abcdefghijklmnopqrstuvwxyz012345";
                assertThat(bytes(name)).hasSize(RpmsgNsMessageLayout.NAME_SIZE);
                // addr 'BBBB' right after the name: a reader running past 32 bytes would append it.
                rig.send(RpmsgAddresses.NS_ADDR, RpmsgRawPeer.nsMessage(bytes(name), 0x4242_4242,
                        RpmsgNsMessageLayout.CREATE));
                rig.processAll();

                assertThat(rig.drops).isEmpty();
                assertThat(hooked).containsExactly(name);
                assertThat(rig.host.remoteServices()).containsOnly(Map.entry(name, 0x4242_4242));
            }
        }

        @Test
        void anNsMessageWhileTheNameServiceIsOffIsDroppedAndTheEndpointStillServed() {
            try (HostRig rig = new HostRig(o -> o.withFeatures(0))) {
                assertThat(rig.host.features()).isZero();
                Inbox inbox = new Inbox();
                RpmsgEndpoint svc = rig.host.createEndpoint("svc", inbox);
                rig.send(RpmsgAddresses.NS_ADDR, createSvc());
                rig.processAll();

                assertThat(rig.host.stats().dropped(Reason.NS_DISABLED)).isEqualTo(1);
                assertThat(rig.dropReasons()).containsExactly(Reason.NS_DISABLED);
                assertThat(svc.isBound()).isFalse();
                assertThat(rig.host.remoteServices()).isEmpty();

                rig.send(svc.address(), bytes("direct"));
                rig.processAll();
                assertThat(inbox.payloads).containsExactly(HEX.formatHex(bytes("direct")));
            }
        }
    }

    @Nested
    class CorruptRingsFromARawRemote {
        @Test
        void aUsedIdxJumpOnTheHostRxRingBreaksTheHostAndUnbindsItsEndpoints() {
            try (HostRig rig = new HostRig()) {
                Inbox inbox = new Inbox();
                RpmsgEndpoint ep = rig.host.createEndpoint("", RpmsgAddresses.ANY, RpmsgAddresses.ANY, inbox);
                rig.send(ep.address(), bytes("hello"));
                rig.processAll();
                assertThat(ep.destination()).isEqualTo(PEER);

                // NUM buffers are in flight on vring 0; used.idx moves by NUM + 1.
                rig.peer.scribbleUsedIdx(0, rig.peer.usedIdx(0) + NUM + 1);
                Throwable thrown = catchThrowable(rig.host::process);

                assertAfterBreak(thrown, VringException.Reason.USED_IDX_JUMP, rig.host, ep, inbox);
            }
        }

        @Test
        void aUsedIdThatIsNotOutstandingBreaksTheHostAndAHeldMessageIsReleasedQuietly() {
            try (HostRig rig = new HostRig()) {
                Inbox inbox = new Inbox();
                inbox.hold = true;
                RpmsgEndpoint ep = rig.host.createEndpoint("", RpmsgAddresses.ANY, RpmsgAddresses.ANY, inbox);
                rig.send(ep.address(), bytes("kept"));
                rig.processAll();
                assertThat(inbox.held).hasSize(1);

                // The held buffer's descriptor is the host's now, not the remote's: return it a second time.
                int head = rig.peer.usedId(0, 0);
                rig.peer.scribbleUsedElement(0, 1, head, RpmsgHeaderLayout.SIZE);
                rig.peer.scribbleUsedIdx(0, 2);
                Throwable thrown = catchThrowable(rig.host::process);

                assertThatCode(inbox.held.getFirst()::release).doesNotThrowAnyException();
                assertAfterBreak(thrown, VringException.Reason.USED_ID_NOT_OUTSTANDING, rig.host, ep, inbox);
            }
        }

        @Test
        void aUsedIdxJumpOnTheHostTxRingBreaksTheHostsNextSend() {
            try (HostRig rig = new HostRig()) {
                Inbox inbox = new Inbox();
                RpmsgEndpoint ep = rig.host.createEndpoint("", RpmsgAddresses.ANY, PEER, inbox);
                ep.send(bytes("one"));
                assertThat(rig.raw.receive()).extracting(Received::len).containsExactly(3);

                // One buffer was in flight on vring 1 and came back; used.idx now claims five more. The
                // host looks at its used ring when it needs a TX buffer: on the next send.
                rig.peer.scribbleUsedIdx(1, rig.peer.usedIdx(1) + 5);
                Throwable thrown = catchThrowable(() -> ep.send(bytes("two")));

                assertAfterBreak(thrown, VringException.Reason.USED_IDX_JUMP, rig.host, ep, inbox);
            }
        }
    }

    @Nested
    class FloodFromARawRemote {
        @Test
        void tenThousandSeededRandomHeadersLeaveOnlyTypedDropsAndEveryValidMessageDeliveredOnceInOrder() {
            try (HostRig rig = new HostRig()) {
                Inbox[] inboxes = {new Inbox(), new Inbox()};
                RpmsgEndpoint[] eps = new RpmsgEndpoint[2];
                for (int i = 0; i < eps.length; i++) {
                    eps[i] = rig.host.createEndpoint("", RpmsgAddresses.ANY, RpmsgAddresses.ANY, inboxes[i]);
                }
                HeapStats heapBefore = rig.peer.heap().stats();
                Random rnd = new Random(0x5EED_0004L);
                List<List<String>> expected = List.of(new ArrayList<>(), new ArrayList<>());
                Map<Reason, Long> expectedDrops = new EnumMap<>(Reason.class);
                int sent = 0;
                int valid = 0;
                for (int i = 0; i < 10_000; i++) {
                    if (rnd.nextInt(3) == 0) {
                        int to = rnd.nextInt(2);
                        byte[] payload = new byte[4 + rnd.nextInt(MAX - 3)];
                        rnd.nextBytes(payload);
                        payload[0] = (byte) valid;
                        payload[1] = (byte) (valid >>> 8);
                        rig.send(PEER + to, eps[to].address(), 0, payload.length, 0, payload);
                        expected.get(to).add(HEX.formatHex(payload));
                        valid++;
                        sent++;
                    }
                    int dst = switch (rnd.nextInt(10)) {
                        case 0, 1 -> RpmsgAddresses.NS_ADDR;
                        case 2 -> eps[rnd.nextInt(2)].address();
                        case 3 -> RpmsgAddresses.ANY;
                        default -> rnd.nextInt();
                    };
                    int len = switch (rnd.nextInt(8)) {
                        case 0 -> MAX + rnd.nextInt(3);
                        case 1 -> RpmsgNsMessageLayout.SIZE;
                        case 2, 3 -> rnd.nextInt(0x10000);
                        default -> rnd.nextInt(MAX + 1);
                    };
                    byte[] payload = new byte[Math.min(len, MAX)];
                    rnd.nextBytes(payload);
                    Reason reason = null;
                    if (RpmsgHeaderLayout.SIZE + len > BUFFER) {
                        reason = Reason.LENGTH_BEYOND_BUFFER;
                    } else if (dst == RpmsgAddresses.NS_ADDR && len != RpmsgNsMessageLayout.SIZE) {
                        reason = Reason.NS_WRONG_SIZE;
                    } else if (dst == RpmsgAddresses.NS_ADDR) {
                        // flags >= 256: no NS flag the device knows
                        payload[(int) RpmsgNsMessageLayout.FLAGS_OFFSET + 1] = (byte) (1 + rnd.nextInt(255));
                        reason = Reason.NS_MALFORMED;
                    } else if (dst == eps[0].address() || dst == eps[1].address()) {
                        expected.get(dst == eps[0].address() ? 0 : 1).add(HEX.formatHex(payload));
                    } else {
                        reason = Reason.UNKNOWN_DESTINATION;
                    }
                    if (reason != null) {
                        expectedDrops.merge(reason, 1L, Long::sum);
                    }
                    rig.send(rnd.nextInt(), dst, rnd.nextInt(), len, rnd.nextInt(0x10000), payload);
                    sent++;
                }
                rig.processAll();

                RpmsgStats stats = rig.host.stats();
                assertThat(rig.host.state()).isEqualTo(RpmsgDevice.State.READY);
                assertThat(valid).isGreaterThan(3000);
                for (int i = 0; i < 2; i++) {
                    assertThat(inboxes[i].payloads).as("endpoint %d", i).containsExactlyElementsOf(expected.get(i));
                }
                assertThat(stats.dropped()).isEqualTo(expectedDrops);
                assertThat(expectedDrops.keySet()).containsExactlyInAnyOrder(Reason.LENGTH_BEYOND_BUFFER,
                        Reason.NS_WRONG_SIZE, Reason.NS_MALFORMED, Reason.UNKNOWN_DESTINATION);
                Map<Reason, Long> reported = new LinkedHashMap<>();
                rig.dropReasons().forEach(r -> reported.merge(r, 1L, Long::sum));
                assertThat(reported).isEqualTo(expectedDrops);
                long delivered = inboxes[0].payloads.size() + inboxes[1].payloads.size();
                assertThat(delivered + stats.droppedTotal()).as("every buffer delivered or dropped").isEqualTo(sent);
                assertThat((rig.peer.availIdx(0) - rig.peer.usedIdx(0)) & 0xFFFF).as("RX buffers posted")
                        .isEqualTo(NUM);
                assertThat(rig.raw.countFree()).isEqualTo(NUM);
                assertThat(rig.peer.heap().stats()).isEqualTo(heapBefore);
            }
        }
    }

    @Nested
    class AgainstARealRemote {
        @ParameterizedTest
        @ValueSource(ints = {0, 8, 15})
        void aHostTxDescriptorShorterThanTheHeaderIsDroppedAsShortBuffer(int descLen) {
            try (RemoteRig rig = new RemoteRig(h -> h.postRx(NUM))) {
                Inbox inbox = new Inbox();
                RpmsgEndpoint ep = rig.remote.createEndpoint("", RpmsgAddresses.ANY, RpmsgAddresses.ANY, inbox);
                VringBuffer shortOne = rig.raw.txBuffer();
                rig.raw.send(shortOne, PEER, ep.address(), 4, bytes("evil"), descLen);
                rig.raw.send(PEER, ep.address(), bytes("fine"));
                assertThat(rig.remote.process()).isEqualTo(2);

                assertThat(rig.remote.stats().dropped(Reason.SHORT_BUFFER)).isEqualTo(1);
                assertThat(rig.remote.stats().droppedTotal()).isEqualTo(1);
                assertThat(rig.dropReasons()).containsExactly(Reason.SHORT_BUFFER);
                assertThat(inbox.payloads).containsExactly(HEX.formatHex(bytes("fine")));
                assertThat(rig.peer.usedIdx(1)).as("both TX buffers came back to the host").isEqualTo(2);
                assertThat(rig.raw.tx.acquire()).as("the short one first").isSameAs(shortOne);
            }
        }

        @Test
        void aHostTxHeaderWhoseLengthRunsPastDescLenIsDroppedAndOneThatFitsIsDelivered() {
            try (RemoteRig rig = new RemoteRig(h -> h.postRx(NUM))) {
                Inbox inbox = new Inbox();
                RpmsgEndpoint ep = rig.remote.createEndpoint("", RpmsgAddresses.ANY, RpmsgAddresses.ANY, inbox);
                byte[] payload = filled(64, 3);
                rig.raw.send(rig.raw.txBuffer(), PEER, ep.address(), 64, payload, 64 + RpmsgHeaderLayout.SIZE - 1);
                rig.raw.send(rig.raw.txBuffer(), PEER, ep.address(), 64, payload, 64 + RpmsgHeaderLayout.SIZE);
                rig.raw.send(rig.raw.txBuffer(), PEER, ep.address(), 0xFFFF, payload, BUFFER);
                assertThat(rig.remote.process()).isEqualTo(3);

                assertThat(rig.remote.stats().dropped(Reason.LENGTH_BEYOND_BUFFER)).isEqualTo(2);
                assertThat(rig.dropReasons()).containsExactly(Reason.LENGTH_BEYOND_BUFFER, Reason.LENGTH_BEYOND_BUFFER);
                assertThat(inbox.payloads).containsExactly(HEX.formatHex(payload));
                assertThat(rig.peer.usedIdx(1)).isEqualTo(3);
                assertThat(rig.remote.state()).isEqualTo(RpmsgDevice.State.READY);
            }
        }

        @Test
        void aHostTxBufferOnTheResourceTableBreaksTheRemoteWithoutTouchingTheTable() {
            try (RemoteRig rig = new RemoteRig(h -> h.postRx(NUM))) {
                Inbox inbox = new Inbox();
                RpmsgEndpoint ep = rig.remote.createEndpoint("", RpmsgAddresses.ANY, RpmsgAddresses.ANY, inbox);
                rig.raw.send(PEER, ep.address(), bytes("bind"));
                rig.remote.process();
                assertThat(ep.destination()).isEqualTo(PEER);
                byte[] tableBefore = tableBytes(rig.peer);

                rig.raw.offer(rig.raw.txBufferAt(0, BUFFER), BUFFER);
                Throwable thrown = catchThrowable(rig.remote::process);

                assertThat(inbox.payloads).hasSize(1);
                assertThat(tableBytes(rig.peer)).isEqualTo(tableBefore);
                assertAfterBreak(thrown, VringException.Reason.BUFFER_OUTSIDE_WINDOW, rig.remote, ep, inbox);
            }
        }

        @Test
        void aHostRxBufferOnTheResourceTableBreaksTheRemoteOnItsNextSend() {
            try (RemoteRig rig = new RemoteRig(h -> {
                h.postRx(h.rxBufferAt(0, BUFFER));
                h.postRx(NUM - 1);
            })) {
                byte[] tableBefore = tableBytes(rig.peer);
                Inbox inbox = new Inbox();
                RpmsgEndpoint ep = rig.remote.createEndpoint("", RpmsgAddresses.ANY, PEER, inbox);
                Throwable thrown = catchThrowable(() -> ep.send(bytes("where to?")));

                assertThat(rig.raw.receive()).isEmpty();
                assertThat(tableBytes(rig.peer)).isEqualTo(tableBefore);
                assertAfterBreak(thrown, VringException.Reason.BUFFER_OUTSIDE_WINDOW, rig.remote, ep, inbox);
            }
        }

        @Test
        void aHostRxBufferShorterThanTheHeaderIsRefusedWithATypedErrorAndNeverStopsLaterSends() {
            try (RemoteRig rig = new RemoteRig(h -> {
                h.postRx(h.rxBuffer(8));
                h.postRx(NUM - 1);
            })) {
                RpmsgEndpoint ep = rig.remote.createEndpoint("", RpmsgAddresses.ANY, PEER, new Inbox());
                List<String> arrived = new ArrayList<>();
                List<String> accepted = new ArrayList<>();
                List<Reason> refused = new ArrayList<>();
                for (int i = 0; i < 3 * NUM; i++) {
                    String text = "msg " + i;
                    try {
                        ep.send(bytes(text));
                        accepted.add(text);
                    } catch (RpmsgException e) {
                        refused.add(e.reason());
                    }
                    // The host reads what arrived and posts every buffer again, the short one included.
                    rig.raw.receive().forEach(r -> arrived.add(new String(r.payload(), StandardCharsets.UTF_8)));
                }

                assertThat(rig.remote.state()).isEqualTo(RpmsgDevice.State.READY);
                assertThat(arrived).containsExactlyElementsOf(accepted);
                assertThat(refused).as("refusals caused by the one short buffer").hasSizeLessThanOrEqualTo(1)
                        .allSatisfy(r -> assertThat(r).isIn(Reason.PAYLOAD_TOO_LARGE, Reason.SHORT_BUFFER));
                assertThat(accepted).hasSizeGreaterThanOrEqualTo(3 * NUM - 1);
            }
        }
    }
}
