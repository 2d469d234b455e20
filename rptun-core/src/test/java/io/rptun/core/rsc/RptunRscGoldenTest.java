package io.rptun.core.rsc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.rptun.core.rsc.RptunRscLayout.Generation;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The standard RPTUN table against hand-derived golden bytes ({@code rptun_rsc_current.hex},
 * {@code rptun_rsc_seed.hex}, written from {@code docs/protocols.md}, not from the builder): the builder must
 * produce them byte for byte, and parsing them must give the builder's value back.
 */
class RptunRscGoldenTest {

    static final String CURRENT_FIXTURE = "rptun_rsc_current.hex";
    static final String SEED_FIXTURE = "rptun_rsc_seed.hex";

    /** The fixed parameters the fixtures were derived for, current generation. */
    static RptunRsc currentBuilder() {
        return RptunRsc.defaults(Generation.CURRENT)
                .withVrings(8, 8)
                .withVringDas(Rsc.ADDR_ANY, Rsc.ADDR_ANY)
                .withNotifyIds(Rsc.NOTIFY_ID_ANY, Rsc.NOTIFY_ID_ANY, Rsc.NOTIFY_ID_ANY)
                .withFeatures(0x0F)
                .withMasterRole(FwRscVdevLayout.ROLE_DRIVER)
                .withBufferSizes(0x600, 0x600)
                .withBufferAddresses(0, 0)
                .withCpuNames("host", "remote")
                .withTrace(0x1000, 0x400, "trace")
                .withCarveout(CarveoutResource.of("rpmsg", 0x2000_0000L, 0x2000_0000L, 0x10_0000L));
    }

    /** The same parameters, seed generation (no carveout entry: the builder keeps its default one). */
    static RptunRsc seedBuilder() {
        return currentBuilder()
                .withGeneration(Generation.SEED)
                .withCarveout(RptunRsc.defaults(Generation.SEED).carveout());
    }

    /** Loads a {@code .hex} fixture next to this class: '#' lines are comments, whitespace is ignored. */
    static byte[] loadHex(String name) {
        try (InputStream in = RptunRscGoldenTest.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("fixture " + name + " not found on the test class path");
            }
            StringBuilder hex = new StringBuilder();
            for (String line : new String(in.readAllBytes(), StandardCharsets.US_ASCII).split("\\R")) {
                if (line.strip().startsWith("#")) {
                    continue;
                }
                hex.append(line.replaceAll("\\s+", ""));
            }
            return HexFormat.of().parseHex(hex);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Byte-for-byte equality; on a mismatch the message names the first differing offset. */
    static void assertSameBytes(byte[] actual, byte[] expected) {
        int common = Math.min(actual.length, expected.length);
        for (int i = 0; i < common; i++) {
            if (actual[i] != expected[i]) {
                fail(String.format("first difference at offset %d (0x%x): expected %02x, got %02x%n"
                                + "expected: %s%nactual:   %s", i, i, expected[i] & 0xFF, actual[i] & 0xFF,
                        window(expected, i), window(actual, i)));
            }
        }
        if (actual.length != expected.length) {
            fail(String.format("lengths differ: expected %d bytes, got %d (first difference at offset %d)",
                    expected.length, actual.length, common));
        }
    }

    private static String window(byte[] bytes, int at) {
        int from = Math.max(0, at - 8);
        int to = Math.min(bytes.length, at + 8);
        return "@" + from + ": " + HexFormat.ofDelimiter(" ").formatHex(bytes, from, to);
    }

    private static MemorySegment heap(byte[] bytes) {
        return MemorySegment.ofArray(bytes.clone());
    }

    // ------------------------------------------------------------------ current generation

    @Test
    void currentFixtureIs264Bytes() {
        assertThat(loadHex(CURRENT_FIXTURE)).hasSize(264);
    }

    @Test
    void currentBuilderWritesTheGoldenBytesExactly() {
        assertSameBytes(currentBuilder().toBytes(), loadHex(CURRENT_FIXTURE));
    }

    @Test
    void writerOfTheCurrentTableWritesTheGoldenBytesExactly() {
        assertSameBytes(ResourceTableWriter.toBytes(currentBuilder().toTable()), loadHex(CURRENT_FIXTURE));
    }

    @Test
    void currentGoldenParsesInNuttxModeBackToTheBuilderValue() {
        ParsedResourceTable parsed = ResourceTableParser.parse(heap(loadHex(CURRENT_FIXTURE)), ParseMode.NUTTX);
        assertThat(parsed.entryOffsets()).containsExactly(28L, 76L, 208L);
        assertThat(parsed.extent()).isEqualTo(264);
        assertThat(RptunRsc.from(parsed)).isEqualTo(currentBuilder());
    }

    @Test
    void currentGoldenParsesFromNativeMemoryAsWell() {
        byte[] golden = loadHex(CURRENT_FIXTURE);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment segment = arena.allocate(golden.length, 8);
            MemorySegment.copy(golden, 0, segment, ValueLayout.JAVA_BYTE, 0, golden.length);
            assertThat(RptunRsc.from(ResourceTableParser.parse(segment, ParseMode.NUTTX)))
                    .isEqualTo(currentBuilder());
        }
    }

    @Test
    void currentGoldenIsAlsoAValidOpenAmpTable() {
        ParsedResourceTable parsed = ResourceTableParser.parse(heap(loadHex(CURRENT_FIXTURE)), ParseMode.OPENAMP);
        assertThat(parsed.table()).isEqualTo(currentBuilder().toTable());
    }

    @Test
    void currentGoldenEntriesHoldTheFixedParameters() {
        ParsedResourceTable parsed = ResourceTableParser.parse(heap(loadHex(CURRENT_FIXTURE)), ParseMode.NUTTX);
        ResourceTable table = parsed.table();
        assertThat(table.reserved0()).isZero();
        assertThat(table.reserved1()).isZero();
        assertThat(table.entries().get(0)).isEqualTo(new TraceResource(0x1000, 0x400, 0, "trace"));
        VdevResource vdev = (VdevResource) table.entries().get(1);
        assertThat(vdev.id()).isEqualTo(7);
        assertThat(vdev.notifyId()).isEqualTo(Rsc.NOTIFY_ID_ANY);
        assertThat(vdev.dfeatures()).isEqualTo(0x0F);
        assertThat(vdev.gfeatures()).isZero();
        assertThat(vdev.status()).isZero();
        assertThat(vdev.reserved0()).isEqualTo(FwRscVdevLayout.ROLE_DRIVER);
        assertThat(vdev.vrings()).containsExactly(
                new VringResource(Rsc.ADDR_ANY, 8, 8, Rsc.NOTIFY_ID_ANY, 0),
                new VringResource(Rsc.ADDR_ANY, 8, 8, Rsc.NOTIFY_ID_ANY, 0));
        assertThat(vdev.config().length()).isEqualTo(64);
        assertThat(vdev.rptunConfig()).contains(new RptunConfig(0x600, 0x600, 0, 0, "host", "remote"));
        assertThat(table.entries().get(2))
                .isEqualTo(new CarveoutResource(0x2000_0000L, 0x2000_0000L, 0x10_0000L, 0, 0, "rpmsg"));
        assertThat(parsed.vringOffset(0, 0)).isEqualTo(104);
        assertThat(parsed.vringOffset(0, 1)).isEqualTo(124);
        assertThat(parsed.configOffset(0)).isEqualTo(144);
        assertThat(parsed.carveoutOffset(0)).isEqualTo(208);
    }

    @Test
    void currentRoundTripThroughBytesKeepsTheBuilderValue() {
        RptunRsc rsc = currentBuilder();
        assertThat(RptunRsc.from(ResourceTableParser.parse(MemorySegment.ofArray(rsc.toBytes()), ParseMode.NUTTX)))
                .isEqualTo(rsc);
    }

    // ------------------------------------------------------------------ seed generation

    @Test
    void seedFixtureIs208BytesEndingInFourBytesOfPadding() {
        byte[] seed = loadHex(SEED_FIXTURE);
        assertThat(seed).hasSize(208);
        assertThat(new byte[] {seed[204], seed[205], seed[206], seed[207]}).containsOnly((byte) 0);
    }

    @Test
    void seedBuilderWritesTheGoldenBytesExactly() {
        byte[] bytes = seedBuilder().toBytes();
        assertThat(bytes).hasSize(208);
        assertSameBytes(bytes, loadHex(SEED_FIXTURE));
    }

    @Test
    void currentBuilderSwitchedToSeedDropsTheCarveoutAndWritesTheSeedGoldenBytes() {
        assertSameBytes(currentBuilder().withGeneration(Generation.SEED).toBytes(), loadHex(SEED_FIXTURE));
    }

    @Test
    void writerOfTheSeedTableWritesTheFirst204GoldenBytes() {
        byte[] golden = loadHex(SEED_FIXTURE);
        byte[] fields = new byte[204];
        System.arraycopy(golden, 0, fields, 0, 204);
        assertSameBytes(ResourceTableWriter.toBytes(seedBuilder().toTable()), fields);
    }

    @Test
    void seedGoldenParsesInNuttxModeBackToTheBuilderValue() {
        ParsedResourceTable parsed = ResourceTableParser.parse(heap(loadHex(SEED_FIXTURE)), ParseMode.NUTTX);
        assertThat(parsed.entryOffsets()).containsExactly(24L, 72L);
        assertThat(parsed.extent()).isEqualTo(204);
        RptunRsc rsc = RptunRsc.from(parsed);
        assertThat(rsc.generation()).isEqualTo(Generation.SEED);
        assertThat(rsc).isEqualTo(seedBuilder());
    }

    @Test
    void seedGoldenEntriesHoldTheFixedParameters() {
        ParsedResourceTable parsed = ResourceTableParser.parse(heap(loadHex(SEED_FIXTURE)), ParseMode.NUTTX);
        List<ResourceEntry> entries = parsed.table().entries();
        assertThat(entries).hasSize(2);
        assertThat(entries.get(0)).isEqualTo(new TraceResource(0x1000, 0x400, 0, "trace"));
        VdevResource vdev = (VdevResource) entries.get(1);
        assertThat(vdev.vrings()).extracting(VringResource::num).containsExactly(8, 8);
        assertThat(vdev.rptunConfig()).contains(new RptunConfig(0x600, 0x600, 0, 0, "host", "remote"));
        assertThat(parsed.vringOffset(0, 0)).isEqualTo(100);
        assertThat(parsed.vringOffset(0, 1)).isEqualTo(120);
        assertThat(parsed.configOffset(0)).isEqualTo(140);
    }
}
