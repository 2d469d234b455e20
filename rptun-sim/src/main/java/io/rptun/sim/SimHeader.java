package io.rptun.sim;

import io.rptun.core.memory.SharedAccess;
import io.rptun.core.memory.WireLayouts;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * The simulator's own 4096-byte header at offset 0 of the shared file, in front of the rptun region.
 *
 * <p>It lives outside the region on purpose: the resource table, the vrings and the carveout heap in the
 * region stay byte-for-byte what NuttX and OpenAMP expect, and everything the simulator adds (the ready
 * flag, the epochs that make one remote per host layout, the doorbell words and the liveness fields) has a
 * place that no standard structure can overlap.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 magic "RPTUNSIM" (u64, LE)                    |  0  ready flag, written last
 * +---------------------------------------------------------------+
 * |                        version (u32) = 1                      |  8
 * |                    header size (u32) = 4096                   | 12
 * |                 region offset (u64) = 4096                    | 16
 * |                       region size (u64)                       | 24
 * |                       host epoch (u64)                        | 32  bumped by the host at each layout
 * |                      claimed epoch (u64)                      | 40  CAS by the remote: one per epoch
 * |                       flags (u32) = 0                         | 48
 * |                     creator pid (u64)                         | 56  the process that made the file
 * +---------------------------------------------------------------+
 * |                     zero up to byte 128                       |
 * +---------------------------------------------------------------+
 * |   HOST block (128 bytes, at 128)  |  REMOTE block (at 256)    |
 * |   +0 doorbell seq (u32)   the futex word this side sleeps on  |
 * |   +4 sleeping (u32)       1 while this side sleeps on it      |
 * |   +8 pid (u64)  +16 epoch (u64)  +24 heartbeat (u64)          |
 * |  +32 state (u32)  0 DETACHED, 1 ATTACHED, 2 CLOSED_CLEANLY     |
 * +---------------------------------------------------------------+
 * |                     zero up to byte 4096                      |
 * +---------------------------------------------------------------+
 * </pre>
 *
 * <h2>Memory model</h2>
 * The creator writes every field with plain stores ({@link #initialise}) and then the magic with a release
 * store ({@link #publishReady}): the whole header must be visible before the magic. An opener reads the
 * magic with an acquire load ({@link #isReady}) before anything else. After that:
 * <ul>
 * <li>host epoch: writer the host, reader the remote; volatile.</li>
 * <li>claimed epoch: written by remotes with a compare-and-set, read by the host; volatile.</li>
 * <li>doorbell seq: written (atomic increment) by the peer when it rings and by this side for local
 *     wake-ups; read by this side and by the kernel (futex); volatile.</li>
 * <li>sleeping: writer this side, reader the peer; volatile (see {@link FutexDoorbell} for the
 *     Dekker-style pairing with seq).</li>
 * <li>pid, epoch, heartbeat, state: writer this side, reader the peer; release stores, acquire loads.</li>
 * <li>creator pid: written once by the creator before the magic; read by anyone deciding whether the file
 *     is stale (a file whose creator and both sides are gone may be replaced).</li>
 * </ul>
 * Each side block sits in its own 128-byte block, so the words one side hammers and the words the other
 * side hammers never share a cache line (nor the adjacent-line prefetch pair).
 *
 * <p>All fields are naturally aligned in a page-aligned mapping, so atomic access modes are available:
 * the segment given to {@link #over} must be at least 8-byte aligned. Bytes are little-endian.
 */
public final class SimHeader {
    /** {@code "RPTUNSIM"} read as a little-endian u64: bytes {@code R P T U N S I M} at offsets 0..7. */
    public static final long MAGIC = 0x4D49_534E_5554_5052L;
    /** The only version this code writes and reads. */
    public static final int VERSION = 1;
    /** The header's size, and the region's offset in the file. */
    public static final int HEADER_SIZE = 4096;

    /** One side's block: doorbell words and liveness. */
    public static final StructLayout SIDE_LAYOUT = MemoryLayout.structLayout(
            WireLayouts.LE_U32.withName("seq"),
            WireLayouts.LE_U32.withName("sleeping"),
            WireLayouts.LE_U64.withName("pid"),
            WireLayouts.LE_U64.withName("epoch"),
            WireLayouts.LE_U64.withName("heartbeat"),
            WireLayouts.LE_U32.withName("state"),
            MemoryLayout.paddingLayout(128 - 36));

    /** The whole header. */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            WireLayouts.LE_U64.withName("magic"),
            WireLayouts.LE_U32.withName("version"),
            WireLayouts.LE_U32.withName("header_size"),
            WireLayouts.LE_U64.withName("region_offset"),
            WireLayouts.LE_U64.withName("region_size"),
            WireLayouts.LE_U64.withName("host_epoch"),
            WireLayouts.LE_U64.withName("claimed_epoch"),
            WireLayouts.LE_U32.withName("flags"),
            MemoryLayout.paddingLayout(4),
            WireLayouts.LE_U64.withName("creator_pid"),
            MemoryLayout.paddingLayout(128 - 64),
            SIDE_LAYOUT.withName("host"),
            SIDE_LAYOUT.withName("remote"),
            MemoryLayout.paddingLayout(HEADER_SIZE - 384));

    public static final long MAGIC_OFFSET = offset("magic");
    public static final long VERSION_OFFSET = offset("version");
    public static final long HEADER_SIZE_OFFSET = offset("header_size");
    public static final long REGION_OFFSET_OFFSET = offset("region_offset");
    public static final long REGION_SIZE_OFFSET = offset("region_size");
    public static final long HOST_EPOCH_OFFSET = offset("host_epoch");
    public static final long CLAIMED_EPOCH_OFFSET = offset("claimed_epoch");
    public static final long FLAGS_OFFSET = offset("flags");
    public static final long CREATOR_PID_OFFSET = offset("creator_pid");
    public static final long HOST_BLOCK_OFFSET = offset("host");
    public static final long REMOTE_BLOCK_OFFSET = offset("remote");
    public static final long SIDE_BLOCK_SIZE = SIDE_LAYOUT.byteSize();
    public static final long SEQ_OFFSET = sideOffset("seq");
    public static final long SLEEPING_OFFSET = sideOffset("sleeping");
    public static final long PID_OFFSET = sideOffset("pid");
    public static final long EPOCH_OFFSET = sideOffset("epoch");
    public static final long HEARTBEAT_OFFSET = sideOffset("heartbeat");
    public static final long STATE_OFFSET = sideOffset("state");

    // Aligned little-endian handles: every field is naturally aligned, so CAS and getAndAdd are allowed.
    private static final VarHandle U32 = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();
    private static final VarHandle U64 = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();

    /** The two ends of the simulated link. */
    public enum Side {
        HOST, REMOTE;

        /** The other side. */
        public Side peer() {
            return this == HOST ? REMOTE : HOST;
        }

        /** Where this side's block starts in the header. */
        public long blockOffset() {
            return this == HOST ? HOST_BLOCK_OFFSET : REMOTE_BLOCK_OFFSET;
        }
    }

    /** A side's attachment state. */
    public enum State {
        DETACHED(0), ATTACHED(1), CLOSED_CLEANLY(2),
        /** A value this code does not know, read from the peer's block; never written. */
        UNKNOWN(-1);

        private final int code;

        State(int code) {
            this.code = code;
        }

        /** The value in the header. */
        public int code() {
            return code;
        }

        /** The state for a header value; {@link #UNKNOWN} for any other value. */
        public static State of(int code) {
            return switch (code) {
                case 0 -> DETACHED;
                case 1 -> ATTACHED;
                case 2 -> CLOSED_CLEANLY;
                default -> UNKNOWN;
            };
        }
    }

    private final MemorySegment segment;
    private final String where;
    private final MemorySegment[] seqWords = new MemorySegment[2];
    private final MemorySegment[] sleepingWords = new MemorySegment[2];

    private SimHeader(MemorySegment segment, String where) {
        this.segment = segment;
        this.where = where;
        for (Side side : Side.values()) {
            seqWords[side.ordinal()] = segment.asSlice(side.blockOffset() + SEQ_OFFSET, 4);
            sleepingWords[side.ordinal()] = segment.asSlice(side.blockOffset() + SLEEPING_OFFSET, 4);
        }
    }

    /** A view over the first {@value #HEADER_SIZE} bytes of {@code segment}. */
    public static SimHeader over(MemorySegment segment) {
        return over(segment, "segment@0x" + Long.toHexString(segment.address()));
    }

    /**
     * A view over the first {@value #HEADER_SIZE} bytes of {@code segment}; {@code where} (the file path)
     * is named in error messages.
     *
     * @throws IllegalArgumentException if the segment is shorter than the header or not 8-byte aligned
     */
    public static SimHeader over(MemorySegment segment, String where) {
        Objects.requireNonNull(segment, "segment");
        Objects.requireNonNull(where, "where");
        if (segment.byteSize() < HEADER_SIZE) {
            throw new IllegalArgumentException("segment of " + segment.byteSize() + " bytes is shorter than the "
                    + HEADER_SIZE + "-byte header");
        }
        if (segment.maxByteAlignment() < Long.BYTES) {
            throw new IllegalArgumentException("the header needs an 8-byte aligned native segment, got alignment "
                    + segment.maxByteAlignment());
        }
        return new SimHeader(segment.asSlice(0, HEADER_SIZE), where);
    }

    /** The header's bytes. */
    public MemorySegment segment() {
        return segment;
    }

    /**
     * Creator only: clears the header (magic first, so nobody takes a half-written header for ready) and
     * writes every field but the magic: version, sizes, host epoch 1 (0 means "never"), claimed epoch 0,
     * this process as the creator, both side blocks DETACHED. {@link #publishReady} must come after.
     */
    public void initialise(long regionSize) {
        initialise(regionSize, ProcessHandle.current().pid());
    }

    /** As {@link #initialise(long)}, naming {@code creatorPid} as the file's creator. */
    public void initialise(long regionSize, long creatorPid) {
        if (regionSize <= 0) {
            throw new IllegalArgumentException("regionSize=" + regionSize);
        }
        SharedAccess.putLongRelease(segment, MAGIC_OFFSET, 0);
        segment.asSlice(VERSION_OFFSET).fill((byte) 0);
        segment.set(WireLayouts.LE_U32, VERSION_OFFSET, VERSION);
        segment.set(WireLayouts.LE_U32, HEADER_SIZE_OFFSET, HEADER_SIZE);
        segment.set(WireLayouts.LE_U64, REGION_OFFSET_OFFSET, HEADER_SIZE);
        segment.set(WireLayouts.LE_U64, REGION_SIZE_OFFSET, regionSize);
        segment.set(WireLayouts.LE_U64, HOST_EPOCH_OFFSET, 1L);
        segment.set(WireLayouts.LE_U64, CLAIMED_EPOCH_OFFSET, 0L);
        segment.set(WireLayouts.LE_U32, FLAGS_OFFSET, 0);
        segment.set(WireLayouts.LE_U64, CREATOR_PID_OFFSET, creatorPid);
    }

    /** The pid of the process that made the file; 0 in a file made before this field existed. */
    public long creatorPid() {
        return segment.get(WireLayouts.LE_U64, CREATOR_PID_OFFSET);
    }

    /** Creator only, last: writes the magic with a release store; everything written before is visible to
     * whoever sees it. */
    public void publishReady() {
        SharedAccess.putLongRelease(segment, MAGIC_OFFSET, MAGIC);
    }

    /** The magic, read with an acquire load: 0 while the creator is still writing. */
    public long magic() {
        return SharedAccess.getLongAcquire(segment, MAGIC_OFFSET);
    }

    /** True once the creator published the header (acquire: every header field is visible after it). */
    public boolean isReady() {
        return magic() == MAGIC;
    }

    public int version() {
        return segment.get(WireLayouts.LE_U32, VERSION_OFFSET);
    }

    public int headerSize() {
        return segment.get(WireLayouts.LE_U32, HEADER_SIZE_OFFSET);
    }

    public long regionOffset() {
        return segment.get(WireLayouts.LE_U64, REGION_OFFSET_OFFSET);
    }

    public long regionSize() {
        return segment.get(WireLayouts.LE_U64, REGION_SIZE_OFFSET);
    }

    public int flags() {
        return segment.get(WireLayouts.LE_U32, FLAGS_OFFSET);
    }

    /**
     * Checks a published header against the file it came from.
     *
     * @throws SimException NOT_READY if the magic is still 0, BAD_MAGIC for any other wrong magic,
     *     BAD_VERSION, or WRONG_SIZE (header size, region offset, or a file size that is not header +
     *     region)
     */
    public void check(long fileSize) {
        long magic = magic();
        if (magic == 0) {
            throw new SimException(SimException.Reason.NOT_READY, where + ": header not published (magic is 0)");
        }
        if (magic != MAGIC) {
            throw new SimException(SimException.Reason.BAD_MAGIC, where + ": magic 0x" + Long.toHexString(magic)
                    + ", expected 0x" + Long.toHexString(MAGIC) + " (\"RPTUNSIM\"): not a simulator file");
        }
        if (version() != VERSION) {
            throw new SimException(SimException.Reason.BAD_VERSION, where + ": version "
                    + WireLayouts.u32(version()) + ", expected " + VERSION);
        }
        if (headerSize() != HEADER_SIZE) {
            throw new SimException(SimException.Reason.WRONG_SIZE, where + ": header size "
                    + WireLayouts.u32(headerSize()) + ", expected " + HEADER_SIZE);
        }
        if (regionOffset() != HEADER_SIZE) {
            throw new SimException(SimException.Reason.WRONG_SIZE, where + ": region offset "
                    + Long.toUnsignedString(regionOffset()) + ", expected " + HEADER_SIZE);
        }
        long regionSize = regionSize();
        if (regionSize <= 0 || fileSize - HEADER_SIZE != regionSize) {
            throw new SimException(SimException.Reason.WRONG_SIZE, where + ": file is " + fileSize
                    + " bytes, expected " + HEADER_SIZE + " + region size " + Long.toUnsignedString(regionSize));
        }
    }

    /** The current host epoch (volatile). */
    public long hostEpoch() {
        return (long) U64.getVolatile(segment, HOST_EPOCH_OFFSET);
    }

    /** Host only: starts a new epoch (at every layout or reset) and returns it. */
    public long bumpHostEpoch() {
        return (long) U64.getAndAdd(segment, HOST_EPOCH_OFFSET, 1L) + 1;
    }

    /** The last epoch a remote claimed (volatile); 0 if none. */
    public long claimedEpoch() {
        return (long) U64.getVolatile(segment, CLAIMED_EPOCH_OFFSET);
    }

    /** Compare-and-set of the claimed epoch. */
    public boolean casClaimedEpoch(long expected, long value) {
        return U64.compareAndSet(segment, CLAIMED_EPOCH_OFFSET, expected, value);
    }

    /**
     * A remote claims the current host epoch: exactly one caller per epoch gets it.
     *
     * @return the claimed epoch, or 0 if this epoch was claimed already
     */
    public long tryClaimHostEpoch() {
        while (true) {
            long epoch = hostEpoch();
            long claimed = claimedEpoch();
            if (claimed == epoch) {
                return 0;
            }
            if (casClaimedEpoch(claimed, epoch)) {
                return epoch;
            }
        }
    }

    /** The 4-byte futex word {@code side} sleeps on (the peer increments it to ring). */
    public MemorySegment seqWord(Side side) {
        return seqWords[side.ordinal()];
    }

    /** The 4-byte word that is 1 while {@code side} is about to sleep or sleeps on its seq word. */
    public MemorySegment sleepingWord(Side side) {
        return sleepingWords[side.ordinal()];
    }

    /** {@code side}'s doorbell sequence (volatile). */
    public int seq(Side side) {
        return (int) U32.getVolatile(segment, side.blockOffset() + SEQ_OFFSET);
    }

    /** Rings {@code side}: increments its doorbell sequence atomically (volatile) and returns the new value. */
    public int incrementSeq(Side side) {
        return (int) U32.getAndAdd(segment, side.blockOffset() + SEQ_OFFSET, 1) + 1;
    }

    /** True while {@code side} is about to sleep or sleeps in the futex (volatile). */
    public boolean isSleeping(Side side) {
        return (int) U32.getVolatile(segment, side.blockOffset() + SLEEPING_OFFSET) != 0;
    }

    /** Written by {@code side} only, around its futex wait (volatile). */
    public void setSleeping(Side side, boolean sleeping) {
        U32.setVolatile(segment, side.blockOffset() + SLEEPING_OFFSET, sleeping ? 1 : 0);
    }

    public long pid(Side side) {
        return SharedAccess.getLongAcquire(segment, side.blockOffset() + PID_OFFSET);
    }

    /** Written by {@code side} only (release). */
    public void setPid(Side side, long pid) {
        SharedAccess.putLongRelease(segment, side.blockOffset() + PID_OFFSET, pid);
    }

    /** The epoch {@code side} attached at (acquire). */
    public long epoch(Side side) {
        return SharedAccess.getLongAcquire(segment, side.blockOffset() + EPOCH_OFFSET);
    }

    /** Written by {@code side} only (release). */
    public void setEpoch(Side side, long epoch) {
        SharedAccess.putLongRelease(segment, side.blockOffset() + EPOCH_OFFSET, epoch);
    }

    /** {@code side}'s liveness counter (acquire). */
    public long heartbeat(Side side) {
        return SharedAccess.getLongAcquire(segment, side.blockOffset() + HEARTBEAT_OFFSET);
    }

    /** Written by {@code side} only: adds one to its heartbeat (release) and returns the new value. */
    public long bumpHeartbeat(Side side) {
        long offset = side.blockOffset() + HEARTBEAT_OFFSET;
        long next = segment.get(WireLayouts.LE_U64, offset) + 1;
        SharedAccess.putLongRelease(segment, offset, next);
        return next;
    }

    /** {@code side}'s state as written there (acquire). */
    public int stateCode(Side side) {
        return SharedAccess.getIntAcquire(segment, side.blockOffset() + STATE_OFFSET);
    }

    /** {@code side}'s state; {@link State#UNKNOWN} for a value this code does not know. */
    public State state(Side side) {
        return State.of(stateCode(side));
    }

    /** Written by {@code side} only (release): everything it wrote before is visible with the state. */
    public void setState(Side side, State state) {
        if (state == State.UNKNOWN) {
            throw new IllegalArgumentException("UNKNOWN is never written");
        }
        SharedAccess.putIntRelease(segment, side.blockOffset() + STATE_OFFSET, state.code());
    }

    @Override
    public String toString() {
        return "SimHeader[" + where + ", magic=0x" + Long.toHexString(magic()) + ", version=" + version()
                + ", regionSize=" + regionSize() + ", hostEpoch=" + hostEpoch() + ", claimedEpoch="
                + claimedEpoch() + "]";
    }

    private static long offset(String name) {
        return LAYOUT.byteOffset(PathElement.groupElement(name));
    }

    private static long sideOffset(String name) {
        return SIDE_LAYOUT.byteOffset(PathElement.groupElement(name));
    }
}
