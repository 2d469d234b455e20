package io.rptun.core.socket;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Endpoint names of rpmsg sockets, as NuttX's {@code rpmsg_socket_format_name} makes them: {@code "s:"},
 * then the socket name if it has at most {@value #SHORT_NAME} characters, else its first two characters
 * and the {@link #crc32 CRC} of the whole name as 8 lower-case hex digits, then (connecting stream sockets
 * only) {@code ":"} and a counter in hex. A listening socket accepts every announcement that starts with
 * its own formatted name ({@link #matches}), exactly as NuttX's {@code strncmp} prefix test does, so a
 * listener on "ab" also hears a client of "abc".
 *
 * <p>Socket names are printable ASCII (NuttX takes bytes; restricting them keeps "two characters" equal to
 * two bytes and the endpoint name valid UTF-8), at most {@value #MAX_NAME} of them.
 */
public final class SocketNames {
    /** {@code RPMSG_SOCKET_NAME_PREFIX}. */
    public static final String PREFIX = "s:";
    /** {@code RPMSG_SOCKET_NAME_LEN}: longer names are shortened to 2 characters and a CRC. */
    public static final int SHORT_NAME = 10;
    /** {@code RPMSG_SOCKET_NAME_SIZE} (108) less the NUL. */
    public static final int MAX_NAME = 107;
    /** {@code RPMSG_NAME_SIZE} (32) less the NUL: {@code snprintf} cuts the endpoint name there. */
    public static final int MAX_ENDPOINT_NAME = 31;

    private static final AtomicInteger NEXT_SUFFIX = new AtomicInteger();
    private static final int[] TABLE = new int[256];

    static {
        for (int n = 0; n < 256; n++) {
            int c = n;
            for (int k = 0; k < 8; k++) {
                c = (c & 1) != 0 ? (c >>> 1) ^ 0xEDB8_8320 : c >>> 1;
            }
            TABLE[n] = c;
        }
    }

    private SocketNames() {
    }

    /**
     * Checks a socket name: 1 to {@value #MAX_NAME} printable ASCII characters.
     *
     * @throws IllegalArgumentException otherwise
     */
    public static String check(String name) {
        if (name.isEmpty() || name.length() > MAX_NAME) {
            throw new IllegalArgumentException("socket name of " + name.length() + " characters (1 to " + MAX_NAME
                    + ")");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c < 0x20 || c > 0x7E) {
                throw new IllegalArgumentException("socket name '" + name + "' holds a character that is not"
                        + " printable ASCII at " + i);
            }
        }
        return name;
    }

    /** The endpoint name of a socket called {@code name}, without a suffix (a listener, a datagram socket). */
    public static String format(String name) {
        return format(name, "");
    }

    /** The endpoint name with {@code suffix} (":" + hex counter, or "") appended, cut to 31 characters. */
    public static String format(String name, String suffix) {
        check(name);
        String base = name.length() > SHORT_NAME
                ? name.substring(0, 2) + String.format("%08x", crc32(name.getBytes(StandardCharsets.US_ASCII)))
                : name;
        String full = PREFIX + base + suffix;
        return full.length() > MAX_ENDPOINT_NAME ? full.substring(0, MAX_ENDPOINT_NAME) : full;
    }

    /** The next connecting-socket suffix of this JVM: ":0", ":1", ... (NuttX's {@code g_rpmsg_id}). */
    public static String nextSuffix() {
        return ":" + Integer.toHexString(NEXT_SUFFIX.getAndIncrement());
    }

    /** True when a listener on {@code listenName} accepts the announced endpoint name {@code announced}. */
    public static boolean matches(String listenName, String announced) {
        return announced.startsWith(format(listenName));
    }

    /**
     * NuttX's {@code crc32()} ({@code libs/libc/misc/lib_crc32.c}): the reflected polynomial 0xEDB88320 with
     * an initial value of 0 and no final complement. This is not {@link java.util.zip.CRC32} (which starts
     * at 0xFFFFFFFF and complements the result): that would give other endpoint names than NuttX's.
     */
    public static int crc32(byte[] data) {
        int crc = 0;
        for (byte b : data) {
            crc = TABLE[(crc ^ b) & 0xFF] ^ (crc >>> 8);
        }
        return crc;
    }
}
