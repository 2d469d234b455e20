package io.rptun.core.rsc;

import io.rptun.core.memory.WireLayouts;
import java.nio.charset.StandardCharsets;

/** Argument checks shared by the model records; they throw {@code IllegalArgumentException("name=value")}. */
final class Checks {
    private Checks() {
    }

    static long u32(String name, long value) {
        if (value < 0 || value > WireLayouts.U32_MAX) {
            throw new IllegalArgumentException(name + "=" + value + " (must fit a uint32_t)");
        }
        return value;
    }

    static int u8(String name, int value) {
        if (value < 0 || value > 0xFF) {
            throw new IllegalArgumentException(name + "=" + value + " (must fit a uint8_t)");
        }
        return value;
    }

    /** Names are Latin-1 bytes (C strings) with room for the NUL: at most {@code size − 1} of them, no NUL inside. */
    static String name(String field, String value, int size) {
        if (value.length() > size - 1) {
            throw new IllegalArgumentException(field + "=\"" + value + "\" (longer than " + (size - 1) + " bytes)");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == 0 || c > 0xFF) {
                throw new IllegalArgumentException(field + "=\"" + value + "\" (byte " + i + " is NUL or not Latin-1)");
            }
        }
        return value;
    }

    static byte[] nameBytes(String value) {
        return value.getBytes(StandardCharsets.ISO_8859_1);
    }
}
