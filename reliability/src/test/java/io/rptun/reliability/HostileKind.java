package io.rptun.reliability;

import io.rptun.core.memory.WireLayouts;
import io.rptun.core.rpmsg.RpmsgAddresses;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.core.rpmsg.RpmsgException;
import io.rptun.core.rpmsg.RpmsgHeaderLayout;
import io.rptun.core.rpmsg.RpmsgNsMessageLayout;
import io.rptun.core.rsc.FwRscVdevLayout;
import io.rptun.core.rsc.FwRscVdevVringLayout;
import io.rptun.core.rsc.NuttxCommand;
import io.rptun.core.rsc.ResourceTableLayout;
import io.rptun.core.virtio.VringAvailLayout;
import io.rptun.core.virtio.VringDescLayout;
import io.rptun.core.virtio.VringUsedLayout;
import io.rptun.sim.SimHeader;
import io.rptun.sim.SimHeader.Side;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.locks.LockSupport;

/**
 * What a hostile peer writes into the shared memory of a running link, one kind per field family. Each
 * {@link #scribble} is one adversarial write (or one forged name-service message); a run does a burst of them.
 *
 * <p>{@link #victim} says whose reads the kind attacks: the host reads the used rings, the remote's rpmsg
 * headers and the name service; the remote (the virtio device) reads the descriptors and the avail rings, so
 * for those kinds the scribbler plays a hostile host and the real remote is the one that must stay sound.
 * {@link #expect} says what a run must show: {@link Expect#UNAFFECTED} for fields nobody re-reads while the
 * link runs (everything still delivered, no error at all), {@link Expect#TYPED} where the write cannot go
 * unnoticed (some typed error must be reported), {@link Expect#EITHER} where a random value may happen to be
 * harmless (a smaller {@code used.len}, a header rewritten before anyone read it).
 */
enum HostileKind {
    /** {@code used.idx} of either vring: jumps past the outstanding buffers, or anywhere. */
    USED_IDX("host", Expect.EITHER) {
        @Override
        void scribble(HostileMemory m, HostileLink link, Random r) {
            long at = m.used(r.nextInt(2)) + VringUsedLayout.IDX_OFFSET;
            int now = m.readU16(at);
            m.u16(at, r.nextBoolean() ? now + r.nextInt(m.num + 1, 0x10000) : r.nextInt(0x10000));
        }
    },
    /** {@code used.ring[].id} of the entries just published: beyond num, another buffer's, or random. */
    USED_ID("host", Expect.EITHER) {
        @Override
        void scribble(HostileMemory m, HostileLink link, Random r) {
            int v = r.nextInt(2);
            int slot = recentUsedSlot(m, v, r);
            int id = switch (r.nextInt(3)) {
                case 0 -> m.num + r.nextInt(0xFFFF);
                case 1 -> r.nextInt(m.num);
                default -> r.nextInt();
            };
            m.u32(m.used(v) + VringUsedLayout.RING_OFFSET + slot * VringUsedLayout.ELEMENT_SIZE
                    + VringUsedLayout.ELEMENT_ID_OFFSET, id);
        }
    },
    /** {@code used.ring[].len}: past the buffer, huge, or random. */
    USED_LEN("host", Expect.EITHER) {
        @Override
        void scribble(HostileMemory m, HostileLink link, Random r) {
            int v = r.nextInt(2);
            int slot = recentUsedSlot(m, v, r);
            int len = r.nextBoolean() ? m.bufferSize + 1 + r.nextInt(1 << 20) : r.nextInt();
            m.u32(m.used(v) + VringUsedLayout.RING_OFFSET + slot * VringUsedLayout.ELEMENT_SIZE
                    + VringUsedLayout.ELEMENT_LEN_OFFSET, len);
        }
    },
    /** {@code used.flags}: NO_NOTIFY and garbage bits (a hint only: at worst a kick is skipped). */
    USED_FLAGS("host", Expect.UNAFFECTED) {
        @Override
        void scribble(HostileMemory m, HostileLink link, Random r) {
            m.u16(m.used(r.nextInt(2)) + VringUsedLayout.FLAGS_OFFSET, r.nextInt(0x10000));
        }
    },
    /** {@code avail.idx} of either vring: jumps past num, or anywhere. */
    AVAIL_IDX("remote", Expect.EITHER) {
        @Override
        void scribble(HostileMemory m, HostileLink link, Random r) {
            long at = m.avail(r.nextInt(2)) + VringAvailLayout.IDX_OFFSET;
            int now = m.readU16(at);
            m.u16(at, r.nextBoolean() ? now + r.nextInt(m.num + 1, 0x10000) : r.nextInt(0x10000));
        }
    },
    /** {@code avail.ring[]} of the entries just offered: a head beyond num, or one already in use. */
    AVAIL_RING("remote", Expect.EITHER) {
        @Override
        void scribble(HostileMemory m, HostileLink link, Random r) {
            int v = r.nextInt(2);
            int idx = m.readU16(m.avail(v) + VringAvailLayout.IDX_OFFSET);
            int slot = (idx - 1 - r.nextInt(2)) & (m.num - 1);
            int head = r.nextBoolean() ? m.num + r.nextInt(0x10000 - m.num) : r.nextInt(m.num);
            m.u16(m.avail(v) + VringAvailLayout.RING_OFFSET + slot * VringAvailLayout.ELEMENT_SIZE, head);
        }
    },
    /** {@code avail.flags}: NO_INTERRUPT and garbage bits. */
    AVAIL_FLAGS("remote", Expect.UNAFFECTED) {
        @Override
        void scribble(HostileMemory m, HostileLink link, Random r) {
            m.u16(m.avail(r.nextInt(2)) + VringAvailLayout.FLAGS_OFFSET, r.nextInt(0x10000));
        }
    },
    /** {@code desc.addr}: outside the region, on the table, on a vring, past the carveout's end, huge. */
    DESC_ADDR("remote", Expect.TYPED) {
        @Override
        void scribble(HostileMemory m, HostileLink link, Random r) {
            long addr = switch (r.nextInt(6)) {
                case 0 -> m.region.byteSize() + r.nextInt(1 << 20);
                case 1 -> r.nextInt(256);
                case 2 -> m.vrings[r.nextInt(2)] + r.nextInt(64);
                case 3 -> m.carveoutTo - r.nextInt(1, m.bufferSize);
                case 4 -> r.nextLong();
                default -> 0xFFFF_FFFFL - r.nextInt(64);
            };
            m.u64(m.desc(r.nextInt(2), r.nextInt(m.num)) + VringDescLayout.ADDR_OFFSET, addr);
        }
    },
    /** {@code desc.len}: 0, shorter than a header, huge, twice the buffer, random. */
    DESC_LEN("remote", Expect.EITHER) {
        @Override
        void scribble(HostileMemory m, HostileLink link, Random r) {
            int len = switch (r.nextInt(5)) {
                case 0 -> r.nextInt(RpmsgHeaderLayout.SIZE);
                case 1 -> -1 - r.nextInt(64);
                case 2 -> m.bufferSize * 2;
                case 3 -> (int) (m.carveoutTo - m.carveoutFrom);
                default -> r.nextInt();
            };
            m.u32(m.desc(r.nextInt(2), r.nextInt(m.num)) + VringDescLayout.LEN_OFFSET, len);
        }
    },
    /** {@code desc.flags/next}: NEXT to itself, to a neighbour, beyond num; INDIRECT; garbage. */
    DESC_CHAIN("remote", Expect.TYPED) {
        @Override
        void scribble(HostileMemory m, HostileLink link, Random r) {
            int d = r.nextInt(m.num);
            int flags = switch (r.nextInt(4)) {
                case 0 -> VringDescLayout.F_NEXT;
                case 1 -> VringDescLayout.F_NEXT | VringDescLayout.F_WRITE;
                case 2 -> VringDescLayout.F_INDIRECT;
                default -> r.nextInt(0x10000) | VringDescLayout.F_NEXT;
            };
            int next = switch (r.nextInt(4)) {
                case 0 -> d;
                case 1 -> (d + 1) & (m.num - 1);
                case 2 -> m.num + r.nextInt(0x10000 - m.num);
                default -> r.nextInt(0x10000);
            };
            long at = m.desc(r.nextInt(2), d);
            m.u16(at + VringDescLayout.FLAGS_OFFSET, flags);
            m.u16(at + VringDescLayout.NEXT_OFFSET, next);
        }
    },
    /** {@code hdr.len} of a message in flight either way: past its buffer, or any u16. */
    HDR_LEN("both", Expect.EITHER) {
        @Override
        void scribble(HostileMemory m, HostileLink link, Random r) {
            long buffer = anyBuffer(m, r);
            if (buffer >= 0) {
                int pastBuffer = m.bufferSize - RpmsgHeaderLayout.SIZE + 1 + r.nextInt(0x10000 - m.bufferSize);
                m.u16(buffer + RpmsgHeaderLayout.LEN_OFFSET, r.nextBoolean() ? pastBuffer : r.nextInt(0x10000));
            }
        }
    },
    /** {@code hdr.src/dst} of a message in flight: unknown addresses, the name service, the other endpoint. */
    HDR_ADDR("both", Expect.EITHER) {
        @Override
        void scribble(HostileMemory m, HostileLink link, Random r) {
            long buffer = anyBuffer(m, r);
            if (buffer >= 0) {
                int value = switch (r.nextInt(4)) {
                    case 0 -> RpmsgAddresses.NS_ADDR;
                    case 1 -> RpmsgAddresses.ANY;
                    case 2 -> 0x400 + r.nextInt(16);
                    default -> r.nextInt();
                };
                m.u32(buffer + (r.nextBoolean() ? RpmsgHeaderLayout.DST_OFFSET : RpmsgHeaderLayout.SRC_OFFSET), value);
            }
        }
    },
    /**
     * Name-service messages from the remote's own endpoint: unterminated and non-UTF-8 names, unknown flags,
     * address ANY, wrong sizes, a flood of creates, and a forged destroy of the service the host uses.
     */
    NS_FLOOD("host", Expect.TYPED) {
        @Override
        void scribble(HostileMemory m, HostileLink link, Random r) {
            RpmsgEndpoint ep = link.remoteEndpoint();
            // The first of a burst is surely malformed (unknown flags), so that a run always shows its drop.
            boolean sure = link.firstWrite();
            byte[] msg = new byte[!sure && r.nextInt(8) == 0 ? r.nextInt(64) : RpmsgNsMessageLayout.SIZE];
            MemorySegment seg = MemorySegment.ofArray(msg);
            if (msg.length == RpmsgNsMessageLayout.SIZE) {
                byte[] name = switch (r.nextInt(4)) {
                    case 0 -> HostileLink.SERVICE.getBytes(StandardCharsets.UTF_8);
                    case 1 -> randomBytes(r, RpmsgNsMessageLayout.NAME_SIZE, 1);
                    case 2 -> ("flood-" + r.nextInt(1 << 20)).getBytes(StandardCharsets.UTF_8);
                    default -> randomBytes(r, r.nextInt(RpmsgNsMessageLayout.NAME_SIZE), 0);
                };
                MemorySegment.copy(name, 0, seg, ValueLayout.JAVA_BYTE, 0, name.length);
                seg.set(WireLayouts.LE_U32, RpmsgNsMessageLayout.ADDR_OFFSET,
                        r.nextBoolean() ? ep.address() : r.nextBoolean() ? RpmsgAddresses.ANY : r.nextInt());
                seg.set(WireLayouts.LE_U32, RpmsgNsMessageLayout.FLAGS_OFFSET,
                        sure ? 0xBAD : r.nextBoolean() ? r.nextInt(3) : r.nextInt());
            } else {
                r.nextBytes(msg);
            }
            try {
                // The remote's own sender competes for its TX buffers: try for a while, then give up quietly.
                for (int i = 0; i < 1000 && !ep.trySendTo(RpmsgAddresses.NS_ADDR, msg); i++) {
                    LockSupport.parkNanos(100_000);
                }
            } catch (RpmsgException e) {
                link.remoteScribbleRefused(e);
            }
        }
    },
    /** The vdev's {@code status} byte (NEEDS_RESET, FAILED, 0, garbage): read only while starting. */
    RSC_STATUS("host", Expect.UNAFFECTED) {
        @Override
        void scribble(HostileMemory m, HostileLink link, Random r) {
            m.region.set(ValueLayout.JAVA_BYTE, m.vdevEntry + FwRscVdevLayout.STATUS_OFFSET, (byte) r.nextInt(256));
        }
    },
    /** The vdev's {@code dfeatures/gfeatures}: negotiated once, at start. */
    RSC_FEATURES("host", Expect.UNAFFECTED) {
        @Override
        void scribble(HostileMemory m, HostileLink link, Random r) {
            m.u32(m.vdevEntry + (r.nextBoolean() ? FwRscVdevLayout.GFEATURES_OFFSET : FwRscVdevLayout.DFEATURES_OFFSET),
                    r.nextInt());
        }
    },
    /** A vring entry's {@code da/align/num/notifyid}, and the config space, rewritten live. */
    RSC_VRING("host", Expect.UNAFFECTED) {
        @Override
        void scribble(HostileMemory m, HostileLink link, Random r) {
            long entry = m.table.vringOffset(0, r.nextInt(2));
            long field = switch (r.nextInt(5)) {
                case 0 -> FwRscVdevVringLayout.DA_OFFSET;
                case 1 -> FwRscVdevVringLayout.ALIGN_OFFSET;
                case 2 -> FwRscVdevVringLayout.NUM_OFFSET;
                case 3 -> FwRscVdevVringLayout.NOTIFYID_OFFSET;
                default -> -1;
            };
            m.u32(field >= 0 ? entry + field : m.table.configOffset(0) + 4 * r.nextInt(16), r.nextInt());
        }
    },
    /** NuttX's command mailbox words: STOP, RESET, PANIC, READY, ACK, unknown commands, garbage. */
    RSC_MAILBOX("host", Expect.EITHER) {
        @Override
        void scribble(HostileMemory m, HostileLink link, Random r) {
            int cmd = r.nextBoolean() ? r.nextInt(0x10000) : new int[] {NuttxCommand.STOP, NuttxCommand.RESET,
                NuttxCommand.PANIC, NuttxCommand.READY, NuttxCommand.ACK, NuttxCommand.DONE}[r.nextInt(6)];
            m.u32(r.nextBoolean() ? ResourceTableLayout.RESERVED0_OFFSET : ResourceTableLayout.RESERVED1_OFFSET,
                    cmd << 16 | r.nextInt(0x10000));
        }
    },
    /** The remote's pid in the sim header: a process that does not exist. */
    SIM_PID("host", Expect.TYPED) {
        @Override
        void scribble(HostileMemory m, HostileLink link, Random r) {
            m.headerU64(HostileMemory.side(Side.REMOTE, SimHeader.PID_OFFSET), r.nextBoolean()
                    ? 0x7FFF_0000_0000L + r.nextInt(1 << 20) : 0x4000_0000L + r.nextInt(1 << 20));
        }
    },
    /**
     * The remote's epoch in the sim header: not the host's. Either: the host's watchdog reports "detached"
     * only once it has seen the remote attached; a remote that rewrites its epoch before the watchdog's first
     * look (it looks every liveness / 5) is simply never watched, and the link goes on working.
     */
    SIM_EPOCH("host", Expect.EITHER) {
        @Override
        void scribble(HostileMemory m, HostileLink link, Random r) {
            m.headerU64(HostileMemory.side(Side.REMOTE, SimHeader.EPOCH_OFFSET), 1000 + r.nextInt(1 << 20));
        }
    },
    /** The remote's state word: CLOSED_CLEANLY, DETACHED, unknown values. */
    SIM_STATE("host", Expect.EITHER) {
        @Override
        void scribble(HostileMemory m, HostileLink link, Random r) {
            m.headerU32(HostileMemory.side(Side.REMOTE, SimHeader.STATE_OFFSET), r.nextBoolean()
                    ? SimHeader.State.CLOSED_CLEANLY.code() : r.nextInt());
        }
    },
    /** The remote's heartbeat: any value (the remote goes on bumping it). */
    SIM_HEARTBEAT("host", Expect.UNAFFECTED) {
        @Override
        void scribble(HostileMemory m, HostileLink link, Random r) {
            m.headerU64(HostileMemory.side(Side.REMOTE, SimHeader.HEARTBEAT_OFFSET), r.nextLong());
        }
    },
    /**
     * The host epoch and the claimed epoch: the remote believes the host laid the memory out again (once its
     * watchdog has seen the host: the same first-look window as {@link #SIM_EPOCH}).
     */
    SIM_HOST_EPOCH("remote", Expect.EITHER) {
        @Override
        void scribble(HostileMemory m, HostileLink link, Random r) {
            m.headerU64(r.nextBoolean() ? SimHeader.HOST_EPOCH_OFFSET : SimHeader.CLAIMED_EPOCH_OFFSET,
                    1000 + r.nextInt(1 << 20));
        }
    },
    /** Magic, version, sizes, flags: checked once, when a side opens the file. */
    SIM_MAGIC("host", Expect.UNAFFECTED) {
        @Override
        void scribble(HostileMemory m, HostileLink link, Random r) {
            long[] fields = {SimHeader.MAGIC_OFFSET, SimHeader.VERSION_OFFSET, SimHeader.REGION_OFFSET_OFFSET,
                SimHeader.REGION_SIZE_OFFSET, SimHeader.FLAGS_OFFSET};
            m.headerU32(fields[r.nextInt(fields.length)], r.nextInt());
        }
    },
    /** The doorbell words (seq, sleeping) of both sides: spurious and missed wake-ups. */
    SIM_DOORBELL("host", Expect.UNAFFECTED) {
        @Override
        void scribble(HostileMemory m, HostileLink link, Random r) {
            Side side = r.nextBoolean() ? Side.HOST : Side.REMOTE;
            m.headerU32(HostileMemory.side(side, r.nextBoolean() ? SimHeader.SEQ_OFFSET : SimHeader.SLEEPING_OFFSET),
                    r.nextInt());
        }
    },
    /** Any byte of the region: table, vrings, buffers, free heap. */
    RANDOM_BYTES("both", Expect.EITHER) {
        @Override
        void scribble(HostileMemory m, HostileLink link, Random r) {
            m.region.set(ValueLayout.JAVA_BYTE, r.nextLong(m.region.byteSize()), (byte) r.nextInt(256));
        }
    };

    /** What a run of the kind must show. */
    enum Expect {
        /** Nobody re-reads the field while the link runs: all delivered, no error of any kind. */
        UNAFFECTED,
        /** Some typed error must be reported (a device failure, a lost peer, a counted drop, a failed send). */
        TYPED,
        /** Either: a random value may be harmless. */
        EITHER
    }

    private final String victim;
    private final Expect expect;

    HostileKind(String victim, Expect expect) {
        this.victim = victim;
        this.expect = expect;
    }

    /** Whose reads the kind attacks: "host", "remote" or "both". */
    String victim() {
        return victim;
    }

    Expect expect() {
        return expect;
    }

    /** One adversarial write. */
    abstract void scribble(HostileMemory m, HostileLink link, Random r);

    /** One of the last two used slots published (the ones the driver may not have reaped yet). */
    private static int recentUsedSlot(HostileMemory m, int vring, Random r) {
        int idx = m.readU16(m.used(vring) + VringUsedLayout.IDX_OFFSET);
        return (idx - 1 - r.nextInt(2)) & (m.num - 1);
    }

    /** A host RX buffer (written by the remote) or a host TX buffer (read by the remote); -1 if none is known. */
    private static long anyBuffer(HostileMemory m, Random r) {
        return r.nextBoolean() ? m.rxBuffers[r.nextInt(m.num)] : m.txBuffer(r.nextInt(m.num));
    }

    private static byte[] randomBytes(Random r, int n, int minValue) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) r.nextInt(minValue, 256);
        }
        return b;
    }
}
