package io.rptun.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.rptun.core.rpmsg.RpmsgAddresses;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.core.rpmsg.RpmsgException;
import io.rptun.core.rpmsg.RpmsgException.Reason;
import io.rptun.core.rpmsg.RpmsgOptions;
import io.rptun.core.virtio.VringAvailLayout;
import io.rptun.core.virtio.VringDescLayout;
import io.rptun.core.virtio.VringException;
import io.rptun.core.virtio.VringLayout;
import io.rptun.core.virtio.VringUsedLayout;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Coverage-guided fuzzing of the vring fields a peer writes, with Jazzer: a raw peer ({@link FuzzRig}) mixes
 * honest rpmsg traffic with arbitrary values in the fields the device under test reads. Against a real host
 * it writes {@code used.idx}, {@code used.flags} and used elements; against a real remote (the raw peer is
 * then the host) it writes {@code avail.idx}, {@code avail.flags}, avail slots and every descriptor field.
 * Whatever it writes, the device under test
 * <ul>
 * <li>throws nothing but {@link RpmsgException}; a serving pass fails only with {@code DEVICE_BROKEN}, whose
 *     cause is the {@link VringException} naming the violation, and the device stays broken;</li>
 * <li>hands its user only payloads inside the carveout, of exactly their header's length.</li>
 * </ul>
 */
class FuzzVringTest {
    private static final Set<Reason> SEND_REASONS = Set.of(Reason.DEVICE_BROKEN, Reason.NO_TX_BUFFER,
            Reason.PAYLOAD_TOO_LARGE);

    @FuzzTest(maxDuration = "10s")
    void anyRingValuesFromAPeerBreakTheDeviceWithATypedErrorOrDoNoHarm(byte[] input) {
        run(input);
    }

    /** One run: the oracle, shared with the random-bytes property. */
    static void run(byte[] input) {
        FuzzBytes in = new FuzzBytes(input);
        boolean remoteVictim = in.bool();
        int num = 1 << (1 + in.below(4));
        int size = in.pick(64, 256, 512);
        try (FuzzRig rig = new FuzzRig(num, size, RpmsgAddresses.SUPPORTED, RpmsgOptions.defaults(), remoteVictim)) {
            RpmsgDevice dut = rig.host;
            assertThat(dut.state()).isEqualTo(RpmsgDevice.State.READY);
            List<RpmsgException> failures = new ArrayList<>();
            RpmsgEndpoint ep = dut.createEndpoint("", 0x400, 0x401, (e, msg) -> {
                rig.checkInsideCarveout("the payload of " + msg, msg.payload());
                // A host's RX buffers are its own; a remote's are whatever the host offers inside the window.
                int max = remoteVictim ? 0xFFFF : dut.rxBufferSize() - 16;
                if (msg.length() != msg.payload().byteSize() || msg.length() > max) {
                    rig.violations.add(msg + " has " + msg.payload().byteSize() + " payload bytes");
                }
            });
            for (int ops = 0; ops < 128 && !in.exhausted(); ops++) {
                switch (in.below(6)) {
                    case 0, 1 -> scribble(rig, in);
                    case 2 -> {
                        try {
                            rig.send(0x401, 0x400, 0, in.below(size), 0, in.bytes(in.below(size)), in.u16());
                        } catch (VringException e) {
                            // The raw peer's own port: not the device under test.
                        }
                    }
                    case 3 -> {
                        try {
                            dut.process();
                        } catch (RpmsgException e) {
                            assertThat(e.reason()).isEqualTo(Reason.DEVICE_BROKEN);
                            assertThat(e.getCause()).isInstanceOf(VringException.class);
                            failures.add(e);
                        }
                    }
                    case 4 -> {
                        try {
                            ep.trySend(in.bytes(in.below(size)));
                        } catch (RpmsgException e) {
                            assertThat(e.reason()).isIn(SEND_REASONS);
                            failures.add(e);
                        }
                    }
                    default -> {
                        try {
                            rig.drainHostTx(in.u16());
                        } catch (VringException e) {
                            // The raw peer's own port.
                        }
                    }
                }
            }
            assertThat(rig.violations).isEmpty();
            if (dut.state() == RpmsgDevice.State.BROKEN) {
                RpmsgException why = dut.failure();
                assertThat(why).isNotNull();
                assertThat(why.reason()).isEqualTo(Reason.DEVICE_BROKEN);
                assertThat(why.getCause()).isInstanceOf(VringException.class);
            } else {
                assertThat(dut.state()).isEqualTo(RpmsgDevice.State.READY);
                assertThat(failures).allMatch(e -> e.reason() != Reason.DEVICE_BROKEN);
            }
        }
    }

    /** One arbitrary value in a field the device under test reads (and only its peer writes). */
    private static void scribble(FuzzRig rig, FuzzBytes in) {
        MemorySegment ring = rig.vring(in.below(2)).memory();
        int num = rig.num;
        long avail = VringLayout.availOffset(num);
        long used = VringLayout.usedOffset(num, FuzzRig.ALIGN);
        int slot = in.below(num);
        if (!rig.remoteVictim) {
            switch (in.below(4)) {
                case 0 -> VringUsedLayout.idxRelease(ring, used, nearby(in, VringUsedLayout.idxAcquire(ring, used)));
                case 1 -> VringUsedLayout.flagsRelease(ring, used, in.u16());
                case 2 -> ring.set(io.rptun.core.memory.WireLayouts.LE_U32, used + VringUsedLayout.RING_OFFSET
                        + slot * VringUsedLayout.ELEMENT_SIZE + VringUsedLayout.ELEMENT_ID_OFFSET, value(in, num));
                default -> ring.set(io.rptun.core.memory.WireLayouts.LE_U32, used + VringUsedLayout.RING_OFFSET
                        + slot * VringUsedLayout.ELEMENT_SIZE + VringUsedLayout.ELEMENT_LEN_OFFSET,
                        value(in, rig.bufferSize));
            }
            return;
        }
        long desc = VringLayout.descOffset(num) + (long) slot * VringLayout.DESC_SIZE;
        switch (in.below(7)) {
            case 0 -> VringAvailLayout.idxRelease(ring, avail, nearby(in, VringAvailLayout.idxAcquire(ring, avail)));
            case 1 -> VringAvailLayout.flagsRelease(ring, avail, in.u16());
            case 2 -> VringAvailLayout.ring(ring, avail, in.below(num), value(in, num) & 0xFFFF);
            case 3 -> ring.set(io.rptun.core.memory.WireLayouts.LE_U64, desc + VringDescLayout.ADDR_OFFSET,
                    in.bool() ? rig.carveoutFrom + in.below((int) (rig.carveoutTo - rig.carveoutFrom)) : in.u64());
            case 4 -> ring.set(io.rptun.core.memory.WireLayouts.LE_U32, desc + VringDescLayout.LEN_OFFSET,
                    value(in, rig.bufferSize));
            case 5 -> ring.set(io.rptun.core.memory.WireLayouts.LE_U16, desc + VringDescLayout.FLAGS_OFFSET,
                    (short) in.u16());
            default -> ring.set(io.rptun.core.memory.WireLayouts.LE_U16, desc + VringDescLayout.NEXT_OFFSET,
                    (short) value(in, num));
        }
    }

    /** An index near {@code now} (what a peer would plausibly write), or any u16. */
    private static int nearby(FuzzBytes in, int now) {
        return (in.bool() ? now + in.below(64) - 8 : in.u16()) & 0xFFFF;
    }

    /** A value around {@code scale} (below, at, just above), or any u32. */
    private static int value(FuzzBytes in, int scale) {
        return switch (in.below(4)) {
            case 0 -> in.below(scale);
            case 1 -> scale + in.below(4);
            case 2 -> in.s32();
            default -> in.u8();
        };
    }
}
