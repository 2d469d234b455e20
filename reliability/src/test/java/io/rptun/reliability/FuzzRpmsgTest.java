package io.rptun.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.rptun.core.memory.WireLayouts;
import io.rptun.core.rpmsg.RpmsgAddresses;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.core.rpmsg.RpmsgException;
import io.rptun.core.rpmsg.RpmsgException.Reason;
import io.rptun.core.rpmsg.RpmsgListener;
import io.rptun.core.rpmsg.RpmsgMessage;
import io.rptun.core.rpmsg.RpmsgNsMessageLayout;
import io.rptun.core.rpmsg.RpmsgOptions;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Coverage-guided fuzzing of the rpmsg receive path and the name service, with Jazzer: a raw hostile remote
 * ({@link FuzzRig}) writes arbitrary rpmsg headers and payloads, name-service messages among them
 * (unterminated and non-UTF-8 names, every flag, address ANY, wrong sizes, floods), into the host's RX
 * buffers, while the host creates, binds, holds, sends from and destroys endpoints. The rings themselves stay
 * well-formed (the raw remote uses a real device port), so the host must
 * <ul>
 * <li>never throw anything but an {@link RpmsgException}, and never break: it stays READY;</li>
 * <li>hand each message either to its endpoint exactly as written ({@code hdr.len} bytes, the header's
 *     src and dst), inside the carveout, in order; or drop it, counted, with the reason the header
 *     predicts ({@code LENGTH_BEYOND_BUFFER}, {@code NS_DISABLED}, {@code NS_WRONG_SIZE},
 *     {@code NS_MALFORMED}, {@code UNKNOWN_DESTINATION}); nothing is lost or duplicated;</li>
 * <li>give every RX buffer back, and send only well-formed messages inside the carveout.</li>
 * </ul>
 */
class FuzzRpmsgTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final String[] NAMES = {"fz-a", "fz-c", "rpmsg-ping", ""};
    private static final Set<Reason> HOST_CALL_REASONS = Set.of(Reason.NOT_BOUND, Reason.PAYLOAD_TOO_LARGE,
            Reason.NO_TX_BUFFER, Reason.ENDPOINT_DESTROYED, Reason.ADDRESS_IN_USE, Reason.BAD_NAME, Reason.NO_ADDRESS);

    @FuzzTest(maxDuration = "10s")
    void anyMessagesFromARawRemoteAreDeliveredAsWrittenOrDroppedWithTheirReason(byte[] input) {
        run(input);
    }

    /** One run: the oracle, shared with the random-bytes property. */
    static void run(byte[] input) {
        new Run(new FuzzBytes(input)).go();
    }

    private static final class Run {
        private final FuzzBytes in;
        private final List<String> expected = new ArrayList<>();
        private final List<String> delivered = new ArrayList<>();
        private final Map<Reason, Long> predicted = new EnumMap<>(Reason.class);
        private final List<RpmsgMessage> held = new ArrayList<>();
        private final List<RpmsgEndpoint> endpoints = new ArrayList<>();
        private final FuzzRig rig;
        private boolean holdNext;
        private int raws;

        Run(FuzzBytes in) {
            this.in = in;
            int num = 1 << (1 + in.below(4));
            int size = in.pick(64, 96, 256, 512);
            int features = in.u8() & 0x0F;
            RpmsgOptions options = RpmsgOptions.defaults().withRxBatch(1 + in.below(num))
                    .withBindHook(this::bindHook);
            this.rig = new FuzzRig(num, size, features, options);
        }

        void go() {
            try (rig) {
                RpmsgDevice host = rig.host;
                endpoints.add(call(() -> host.createEndpoint("fz-a", listener())));
                endpoints.add(call(() -> host.createEndpoint("", 0x500, RpmsgAddresses.ANY, listener())));
                endpoints.add(call(() -> host.createEndpoint("fz-c", 0x501, 0x900, listener())));
                for (int ops = 0; ops < 256 && !in.exhausted(); ops++) {
                    step(host);
                }
                holdNext = false;
                held.forEach(RpmsgMessage::release);
                held.clear();
                rig.settle();
                check(host);
            }
        }

        private void step(RpmsgDevice host) {
            switch (in.below(8)) {
                case 0, 1 -> raw(in.s32(), destination(), in.bool() ? -1 : in.u16(), in.u16(),
                        in.bytes(in.below(rig.rxCapacity() + 8)));
                case 2 -> ns();
                case 3 -> call(() -> host.process());
                case 4 -> rig.drainHostTx(in.u16());
                case 5 -> send();
                case 6 -> endpointChange(host);
                default -> {
                    holdNext = in.bool();
                    if (!held.isEmpty() && in.bool()) {
                        held.removeFirst().release();
                    }
                }
            }
        }

        private int destination() {
            return switch (in.below(6)) {
                case 0 -> RpmsgAddresses.NS_ADDR;
                case 1 -> 0x500;
                case 2 -> 0x501;
                case 3 -> RpmsgAddresses.FIRST_DYNAMIC;
                case 4 -> endpoints.isEmpty() ? 0x400 : endpoints.get(in.below(endpoints.size())).address();
                default -> in.s32();
            };
        }

        /** A name-service message, mostly well-formed so that the fuzzer reaches binding and unbinding. */
        private void ns() {
            byte[] msg = new byte[RpmsgNsMessageLayout.SIZE];
            byte[] name = in.bool() ? NAMES[in.below(NAMES.length)].getBytes(java.nio.charset.StandardCharsets.UTF_8)
                    : in.bytes(in.below(RpmsgNsMessageLayout.NAME_SIZE + 1));
            System.arraycopy(name, 0, msg, 0, Math.min(name.length, RpmsgNsMessageLayout.NAME_SIZE));
            MemorySegment seg = MemorySegment.ofArray(msg);
            seg.set(WireLayouts.LE_U32, RpmsgNsMessageLayout.ADDR_OFFSET,
                    in.bool() ? 0x900 + in.below(4) : in.pick(RpmsgAddresses.ANY, 0x500, in.s32()));
            seg.set(WireLayouts.LE_U32, RpmsgNsMessageLayout.FLAGS_OFFSET, in.bool() ? in.below(3) : in.s32());
            raw(in.pick(0x900, in.s32()), RpmsgAddresses.NS_ADDR,
                    in.below(4) == 0 ? in.u16() : RpmsgNsMessageLayout.SIZE, 0, msg);
        }

        /** Sends one raw message and records what the host must do with it. {@code len} -1: the payload's length. */
        private void raw(int src, int dst, int len, int flags, byte[] payload) {
            int hdrLen = len < 0 ? payload.length & 0xFFFF : len;
            FuzzRig.Raw r = rig.send(src, dst, in.s32(), hdrLen, flags, payload, in.u16());
            if (r == null) {
                return;
            }
            raws++;
            if (!r.fits()) {
                predict(Reason.LENGTH_BEYOND_BUFFER);
            } else if (dst == RpmsgAddresses.NS_ADDR) {
                int features = rig.host.features();
                boolean whole = r.len() == RpmsgNsMessageLayout.SIZE;
                int addr = whole ? le32(r.payload(), RpmsgNsMessageLayout.ADDR_OFFSET) : 0;
                int nsFlags = whole ? le32(r.payload(), RpmsgNsMessageLayout.FLAGS_OFFSET) : 0;
                if ((features & RpmsgAddresses.F_NS) == 0) {
                    predict(Reason.NS_DISABLED);
                } else if (r.len() != RpmsgNsMessageLayout.SIZE) {
                    predict(Reason.NS_WRONG_SIZE);
                } else if (addr == RpmsgAddresses.ANY || nsFlags < 0 || nsFlags > 2
                        || (nsFlags == 2 && (features & RpmsgAddresses.F_ACK) == 0)) {
                    predict(Reason.NS_MALFORMED);
                }
            } else {
                expected.add(describe(src, dst, r.payload()));
            }
        }

        private void predict(Reason reason) {
            predicted.merge(reason, 1L, Long::sum);
        }

        private void send() {
            if (endpoints.isEmpty()) {
                return;
            }
            RpmsgEndpoint ep = endpoints.get(in.below(endpoints.size()));
            byte[] data = in.bytes(in.below(rig.bufferSize + 4));
            call(() -> in.bool() ? ep.trySend(data) : ep.trySendTo(in.s32(), data));
        }

        private void endpointChange(RpmsgDevice host) {
            if (!endpoints.isEmpty() && in.bool()) {
                endpoints.remove(in.below(endpoints.size())).destroy();
                return;
            }
            String name = in.bool() ? NAMES[in.below(NAMES.length)] : new String(in.bytes(in.below(40)),
                    java.nio.charset.StandardCharsets.UTF_8);
            int src = in.bool() ? RpmsgAddresses.ANY : in.s32();
            int dst = in.bool() ? RpmsgAddresses.ANY : in.s32();
            RpmsgEndpoint ep = call(() -> host.createEndpoint(name, src, dst, listener()));
            if (ep != null) {
                endpoints.add(ep);
            }
        }

        private void bindHook(RpmsgDevice device, String service, int addr) {
            if (in.bool()) {
                RpmsgEndpoint ep = call(() -> device.createEndpoint(service, RpmsgAddresses.ANY, addr, listener()));
                if (ep != null) {
                    endpoints.add(ep);
                }
            }
        }

        private RpmsgListener listener() {
            return (ep, msg) -> {
                rig.checkInsideCarveout("the payload of " + msg, msg.payload());
                if (msg.dst() != ep.address()) {
                    rig.violations.add(msg + " handed to " + ep);
                }
                if (msg.length() != msg.payload().byteSize() || msg.length() > rig.rxCapacity() - 16) {
                    rig.violations.add(msg + " has " + msg.payload().byteSize() + " payload bytes");
                }
                delivered.add(describe(msg.src(), msg.dst(), msg.toByteArray()));
                if (holdNext) {
                    held.add(msg.hold());
                }
            };
        }

        /** Runs a call on the host: it may refuse with an RpmsgException, never anything else. */
        private <T> T call(java.util.function.Supplier<T> call) {
            try {
                return call.get();
            } catch (RpmsgException e) {
                if (!HOST_CALL_REASONS.contains(e.reason())) {
                    rig.violations.add("unexpected " + e.reason() + ": " + e.getMessage());
                }
                return null;
            }
        }

        private void check(RpmsgDevice host) {
            assertThat(rig.violations).isEmpty();
            assertThat(host.state()).as("%s: well-formed rings never break the host", host.failure())
                    .isEqualTo(RpmsgDevice.State.READY);
            assertThat(host.heldRxBuffers()).isZero();
            assertThat(rig.hostRxBuffersPosted()).as("every RX buffer given back").isEqualTo(rig.num);
            Map<Reason, Long> drops = rig.dropsByReason();
            assertThat(host.stats().droppedTotal()).isEqualTo(rig.drops.size());
            assertThat(drops.getOrDefault(Reason.CALLBACK_FAILED, 0L)).isZero();
            for (Reason r : List.of(Reason.LENGTH_BEYOND_BUFFER, Reason.NS_DISABLED, Reason.NS_WRONG_SIZE,
                    Reason.NS_MALFORMED)) {
                assertThat(drops.getOrDefault(r, 0L)).as("%s drops", r).isEqualTo(predicted.getOrDefault(r, 0L));
            }
            long unknown = drops.getOrDefault(Reason.UNKNOWN_DESTINATION, 0L);
            assertThat(delivered.size() + unknown).as("delivered + unknown destination").isEqualTo(expected.size());
            assertThat(isSubsequence(delivered, expected)).as("delivered %s in order, as written %s", delivered,
                    expected).isTrue();
            assertThat(host.stats().received() + drops.getOrDefault(Reason.LENGTH_BEYOND_BUFFER, 0L))
                    .as("every raw message taken").isEqualTo(raws);
        }
    }

    private static boolean isSubsequence(List<String> sub, List<String> of) {
        int j = 0;
        for (String s : sub) {
            while (j < of.size() && !of.get(j).equals(s)) {
                j++;
            }
            if (j++ >= of.size()) {
                return false;
            }
        }
        return true;
    }

    private static String describe(int src, int dst, byte[] payload) {
        return Integer.toHexString(src) + ">" + Integer.toHexString(dst) + ":" + HEX.formatHex(payload);
    }

    private static int le32(byte[] b, long offset) {
        return offset + 4 <= b.length ? MemorySegment.ofArray(b).get(WireLayouts.LE_U32, offset) : 0;
    }
}
