package io.rptun.reliability;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.BitSet;
import java.util.SplittableRandom;
import java.util.zip.CRC32;

/**
 * The wire format of the reliability suites, and the check that classifies what arrives. Every message
 * names its stream (an endpoint), its place in that stream, and carries a CRC32 over everything but the
 * CRC itself, so that a receiver can tell lost, duplicated, reordered and corrupt messages apart instead of
 * only noticing that "something" went wrong.
 *
 * <pre>
 * 0  crc32   over bytes [4, length)
 * 4  type    DATA, START, END, REPORT, STOP
 * 5  stream  the endpoint's index
 * 6  length  u16, the whole message (a truncated message fails here as well as in the CRC)
 * 8  seq     i64: DATA's place in its stream; END's count of DATA sent
 * 16 body    DATA: random bytes; control messages: i64 values
 * </pre>
 */
final class SoakProtocol {
    static final int HEADER = 16;
    static final byte DATA = 1;
    /** Host to remote: body [DATA the host will send, DATA the remote is to send]. */
    static final byte START = 2;
    /** After the last DATA of a stream; seq = how many DATA were sent. */
    static final byte END = 3;
    /** Remote to host: the remote's {@link StreamCheck#counts()} of what the host sent. */
    static final byte REPORT = 4;
    /** Host to remote: stop producing (the memory suite). */
    static final byte STOP = 5;

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private SoakProtocol() {
    }

    /** A mix of sizes: a quarter exactly {@code max}, a quarter small (16..64), the rest anywhere in between. */
    static int randomLength(SplittableRandom random, int max) {
        return switch (random.nextInt(4)) {
            case 0 -> max;
            case 1 -> HEADER + random.nextInt(Math.min(49, max - HEADER + 1));
            default -> HEADER + random.nextInt(max - HEADER + 1);
        };
    }

    /** Writes a DATA message of {@code length} bytes with a random body into {@code out}; returns length. */
    static int writeData(MemorySegment out, int stream, long seq, int length, SplittableRandom random) {
        int off = HEADER;
        for (; off + 8 <= length; off += 8) {
            out.set(LONG, off, random.nextLong());
        }
        for (; off < length; off++) {
            out.set(ValueLayout.JAVA_BYTE, off, (byte) random.nextInt());
        }
        return seal(out, DATA, stream, seq, length);
    }

    /** A control message with {@code values} as its body. */
    static byte[] control(byte type, int stream, long seq, long... values) {
        int length = HEADER + 8 * values.length;
        byte[] bytes = new byte[length];
        MemorySegment out = MemorySegment.ofArray(bytes);
        for (int i = 0; i < values.length; i++) {
            out.set(LONG, HEADER + 8L * i, values[i]);
        }
        seal(out, type, stream, seq, length);
        return bytes;
    }

    private static int seal(MemorySegment out, byte type, int stream, long seq, int length) {
        out.set(ValueLayout.JAVA_BYTE, 4, type);
        out.set(ValueLayout.JAVA_BYTE, 5, (byte) stream);
        out.set(SHORT, 6, (short) length);
        out.set(LONG, 8, seq);
        out.set(INT, 0, crc(out, length));
        return length;
    }

    static int crc(MemorySegment message, int length) {
        CRC32 crc = new CRC32();
        crc.update(message.asSlice(4, length - 4).asByteBuffer());
        return (int) crc.getValue();
    }

    /** True when {@code message} is whole: long enough, its length field right and its CRC matching. */
    static boolean intact(MemorySegment message) {
        long length = message.byteSize();
        return length >= HEADER && length <= 0xFFFF && (message.get(SHORT, 6) & 0xFFFF) == length
                && message.get(INT, 0) == crc(message, (int) length);
    }

    static byte type(MemorySegment message) {
        return message.get(ValueLayout.JAVA_BYTE, 4);
    }

    static int stream(MemorySegment message) {
        return message.get(ValueLayout.JAVA_BYTE, 5) & 0xFF;
    }

    static long seq(MemorySegment message) {
        return message.get(LONG, 8);
    }

    /** Control value {@code i} of the body. */
    static long value(MemorySegment message, int i) {
        return message.get(LONG, HEADER + 8L * i);
    }

    /** How many control values the body has. */
    static int values(MemorySegment message) {
        return (int) (message.byteSize() - HEADER) / 8;
    }

    /**
     * The receiving end of one stream: classifies every message. Not thread-safe: fed by one thread (a
     * device's serving thread), read by another after a happens-before edge (a latch, a future).
     */
    static final class StreamCheck {
        private final int stream;
        private long expected;
        private BitSet seen = new BitSet();
        private long highest = -1;
        private long received;
        private long duplicated;
        private long reordered;
        private long corrupt;

        StreamCheck(int stream) {
            this.stream = stream;
        }

        /** The stream will carry {@code count} DATA messages, numbered from 0. */
        void expect(long count) {
            if (count < 0 || count > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("count=" + count);
            }
            expected = count;
            seen = new BitSet((int) count);
        }

        /**
         * Classifies {@code message}.
         *
         * @return its type when intact and of this stream (DATA only when in range), else 0 (counted corrupt)
         */
        byte accept(MemorySegment message) {
            received++;
            if (!intact(message) || stream(message) != stream) {
                corrupt++;
                return 0;
            }
            byte type = type(message);
            if (type != DATA) {
                return type;
            }
            long seq = seq(message);
            if (seq < 0 || seq >= expected) {
                corrupt++;
                return 0;
            }
            int s = (int) seq;
            if (seen.get(s)) {
                duplicated++;
            } else {
                seen.set(s);
                if (seq < highest) {
                    reordered++;
                } else {
                    highest = seq;
                }
            }
            return DATA;
        }

        long expected() {
            return expected;
        }

        long received() {
            return received;
        }

        /** Distinct DATA messages seen. */
        long unique() {
            return seen.cardinality();
        }

        long lost() {
            return expected - seen.cardinality();
        }

        long duplicated() {
            return duplicated;
        }

        long reordered() {
            return reordered;
        }

        long corrupt() {
            return corrupt;
        }

        /** [expected, unique, lost, duplicated, reordered, corrupt]: what a REPORT carries. */
        long[] counts() {
            return new long[] {expected, unique(), lost(), duplicated, reordered, corrupt};
        }
    }

    /** The counts of one direction of one stream, from a {@link StreamCheck} here or a REPORT from the remote. */
    record Counts(long expected, long unique, long lost, long duplicated, long reordered, long corrupt) {
        static Counts of(long[] c) {
            return new Counts(c[0], c[1], c[2], c[3], c[4], c[5]);
        }

        static Counts of(StreamCheck check) {
            return of(check.counts());
        }

        /** From a REPORT message's body. */
        static Counts ofReport(MemorySegment report) {
            long[] c = new long[6];
            for (int i = 0; i < c.length; i++) {
                c[i] = value(report, i);
            }
            return of(c);
        }

        Counts plus(Counts o) {
            return new Counts(expected + o.expected, unique + o.unique, lost + o.lost, duplicated + o.duplicated,
                    reordered + o.reordered, corrupt + o.corrupt);
        }

        static Counts zero() {
            return new Counts(0, 0, 0, 0, 0, 0);
        }
    }
}
