package io.rptun.test;

import io.rptun.core.rpmsg.RpmsgAddresses;
import io.rptun.core.rpmsg.RpmsgException;
import io.rptun.core.rpmsg.RpmsgHeaderLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.jspecify.annotations.Nullable;

/**
 * What {@link TestLink#sendCorrupted} does to the one message the remote sends, after the remote wrote it
 * and before the host reads it: the damage a broken firmware or a stray write does to a buffer in flight.
 */
public enum Corruption {
    /**
     * {@code hdr.len} becomes 0xFFFF, past the end of any rpmsg buffer: the host drops the message with
     * {@link RpmsgException.Reason#LENGTH_BEYOND_BUFFER} and gives the buffer back unread.
     */
    LENGTH_BEYOND_BUFFER(RpmsgException.Reason.LENGTH_BEYOND_BUFFER) {
        @Override
        void apply(MemorySegment header) {
            RpmsgHeaderLayout.write(header, RpmsgHeaderLayout.src(header), RpmsgHeaderLayout.dst(header),
                    RpmsgHeaderLayout.MAX_LEN);
        }
    },
    /**
     * {@code hdr.dst} becomes {@link #WRONG_DESTINATION_ADDRESS}, an address rptun never hands out: the
     * host drops the message with {@link RpmsgException.Reason#UNKNOWN_DESTINATION}.
     */
    WRONG_DESTINATION(RpmsgException.Reason.UNKNOWN_DESTINATION) {
        @Override
        void apply(MemorySegment header) {
            RpmsgHeaderLayout.write(header, RpmsgHeaderLayout.src(header), WRONG_DESTINATION_ADDRESS,
                    RpmsgHeaderLayout.len(header));
        }
    },
    /**
     * Every bit of the first payload byte is inverted; the header is intact. rpmsg carries no checksum, so
     * the host delivers the message to its destination as usual: this one is for testing that your own
     * protocol notices (a checksum, a sequence number, a parser that refuses it).
     */
    FLIPPED_PAYLOAD_BYTE(null) {
        @Override
        void apply(MemorySegment header) {
            long at = RpmsgHeaderLayout.SIZE;
            header.set(ValueLayout.JAVA_BYTE, at, (byte) ~header.get(ValueLayout.JAVA_BYTE, at));
        }
    };

    /** The destination {@link #WRONG_DESTINATION} writes: ANY - 1, which no endpoint is ever given. */
    public static final int WRONG_DESTINATION_ADDRESS = RpmsgAddresses.ANY - 1;

    private final RpmsgException.@Nullable Reason dropReason;

    Corruption(RpmsgException.@Nullable Reason dropReason) {
        this.dropReason = dropReason;
    }

    /**
     * The reason the host drops such a message for (counted in {@code stats().dropped(reason)} and told to
     * the device's {@code DropListener}), or null if the host delivers it.
     */
    public RpmsgException.@Nullable Reason dropReason() {
        return dropReason;
    }

    /** Damages the message whose buffer starts at {@code header} (header and payload, in shared memory). */
    abstract void apply(MemorySegment header);
}
