package io.rptun.reliability;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;

/**
 * The fuzz targets' oracles on plain random input, in the normal test JVM (no Jazzer agent): the seed tables
 * of {@link FuzzResourceTableTest} mutated at random (flipped, overwritten, inserted and cut bytes), and random
 * operation streams for {@link FuzzRpmsgTest} and {@link FuzzVringTest}. Not coverage-guided, but it runs
 * wherever the build runs, and a failure shrinks to a small input that replays as a Jazzer seed.
 */
class FuzzTargetsProperties {
    private static final String RSC_SEEDS =
            "FuzzResourceTableTestInputs/anyBytesParseToATableThatRoundTripsOrFailWithATypedError/";
    private static final String[] RSC_SEED_FILES = {"nuttx-current-default", "nuttx-seed-default",
        "nuttx-current-configured", "openamp-linux-demo", "every-entry-type", "empty-table"};

    @Property(tries = 3000)
    void mutatedStandardTablesParseAndRoundTripOrFailWithATypedError(@ForAll long seed) throws IOException {
        Random random = new Random(seed);
        byte[] table = seed(RSC_SEED_FILES[random.nextInt(RSC_SEED_FILES.length)]);
        FuzzResourceTableTest.check(mutate(table, random));
    }

    @Property(tries = 300)
    void randomRawRemoteTrafficIsDeliveredAsWrittenOrDroppedWithItsReason(@ForAll @Size(max = 1500) byte[] input) {
        FuzzRpmsgTest.run(input);
    }

    @Property(tries = 300)
    void randomRingValuesBreakTheDeviceWithATypedErrorOrDoNoHarm(@ForAll @Size(max = 1500) byte[] input) {
        FuzzVringTest.run(input);
    }

    private static byte[] seed(String name) throws IOException {
        try (InputStream in = FuzzTargetsProperties.class.getResourceAsStream(RSC_SEEDS + name)) {
            if (in == null) {
                throw new IOException("missing seed " + RSC_SEEDS + name);
            }
            return in.readAllBytes();
        }
    }

    /** 1..8 edits: a flipped bit, an overwritten little-endian word, an inserted or a removed run, a cut tail. */
    private static byte[] mutate(byte[] table, Random random) {
        List<Byte> bytes = new ArrayList<>(table.length + 16);
        for (byte b : table) {
            bytes.add(b);
        }
        int edits = random.nextInt(1, 9);
        for (int e = 0; e < edits && !bytes.isEmpty(); e++) {
            int at = random.nextInt(bytes.size());
            switch (random.nextInt(5)) {
                case 0 -> bytes.set(at, (byte) (bytes.get(at) ^ (1 << random.nextInt(8))));
                case 1 -> {
                    int word = random.nextBoolean() ? random.nextInt() : random.nextInt(-2, 0x1_0000);
                    for (int i = 0; i < 4 && at + i < bytes.size(); i++) {
                        bytes.set(at + i, (byte) (word >>> (8 * i)));
                    }
                }
                case 2 -> {
                    for (int i = random.nextInt(1, 16); i > 0; i--) {
                        bytes.add(at, (byte) random.nextInt(256));
                    }
                }
                case 3 -> {
                    for (int i = random.nextInt(1, 16); i > 0 && at < bytes.size(); i--) {
                        bytes.remove(at);
                    }
                }
                default -> bytes.subList(at, bytes.size()).clear();
            }
        }
        byte[] out = new byte[bytes.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = bytes.get(i);
        }
        return out;
    }
}
