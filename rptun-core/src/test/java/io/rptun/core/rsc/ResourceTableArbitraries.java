package io.rptun.core.rsc;

import io.rptun.core.rsc.RptunRscLayout.Generation;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.Tuple;

/**
 * Generators for resource tables, NuttX {@code rptun_rsc_s} values and byte-level mutations of written
 * tables, shared by the resource-table properties. Every method returns a fresh {@link Arbitrary} that a
 * {@code @Provide} method can hand out as is.
 */
final class ResourceTableArbitraries {
    static final long U32_MAX = 0xFFFF_FFFFL;

    private static final ValueLayout.OfInt LE_U32 =
            ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private ResourceTableArbitraries() {
    }

    /** A table together with the mode it was generated for (and parses in). */
    record ModeTable(ParseMode mode, ResourceTable table) {
    }

    // ---------------------------------------------------------------- scalars

    /** A u32 over its full range, with 0, 1, 2^31 − 1, 2^31 and 0xFFFFFFFF (ANY) drawn often. */
    static Arbitrary<Long> u32() {
        return Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.longs().between(0, U32_MAX)),
                Tuple.of(1, Arbitraries.of(0L, 1L, 0x7FFF_FFFFL, 0x8000_0000L, U32_MAX)));
    }

    /** The raw {@code int} bit pattern of a u32 (ids, flags, features, notify ids). */
    static Arbitrary<Integer> u32Bits() {
        return u32().map(Long::intValue);
    }

    /** A reserved u32: random in NuttX mode (accepted as is), 0 in OpenAMP mode. */
    static Arbitrary<Integer> reservedWord(ParseMode mode) {
        return mode == ParseMode.OPENAMP ? Arbitraries.just(0) : u32Bits();
    }

    /** A 32-byte C name: up to 31 Latin-1 characters, none of them NUL; the full 31 often. */
    static Arbitrary<String> names() {
        return Arbitraries.oneOf(
                Arbitraries.strings().withCharRange('\u0001', '\u00ff').ofMaxLength(31),
                Arbitraries.strings().withCharRange('\u0001', '\u00ff').ofLength(31));
    }

    /** A NuttX cpu name: up to 7 Latin-1 characters, none of them NUL. */
    static Arbitrary<String> cpuNames() {
        return Arbitraries.strings().withCharRange('\u0001', '\u00ff').ofMaxLength(7);
    }

    static Arbitrary<RawBytes> rawBytes(int maxLength) {
        return Arbitraries.bytes().array(byte[].class).ofMaxSize(maxLength).map(RawBytes::of);
    }

    /** A power-of-two vring num, 1 .. 32768. */
    static Arbitrary<Integer> vringNums() {
        return Arbitraries.integers().between(0, 15).map(shift -> 1 << shift);
    }

    /** A power-of-two u32 alignment, 1 .. 2^31. */
    static Arbitrary<Long> vringAligns() {
        return Arbitraries.integers().between(0, 31).map(shift -> 1L << shift);
    }

    /** A vring da: 0 and ANY (allocate) often, any static u32 otherwise. */
    static Arbitrary<Long> vringDas() {
        return Arbitraries.frequencyOf(Tuple.of(2, u32()), Tuple.of(1, Arbitraries.of(0L, Rsc.ADDR_ANY)));
    }

    // ---------------------------------------------------------------- entries

    static Arbitrary<CarveoutResource> carveouts(ParseMode mode) {
        return Combinators.combine(u32(), u32(), u32(), u32Bits(), reservedWord(mode), names())
                .as(CarveoutResource::new);
    }

    static Arbitrary<DevmemResource> devmems(ParseMode mode) {
        return Combinators.combine(u32(), u32(), u32(), u32Bits(), reservedWord(mode), names())
                .as(DevmemResource::new);
    }

    static Arbitrary<TraceResource> traces(ParseMode mode) {
        return Combinators.combine(u32(), u32(), reservedWord(mode), names()).as(TraceResource::new);
    }

    static Arbitrary<VringResource> vrings(ParseMode mode) {
        return Combinators.combine(vringDas(), vringAligns(), vringNums(), u32Bits(), reservedWord(mode))
                .as(VringResource::new);
    }

    static Arbitrary<VdevResource> vdevs(ParseMode mode) {
        Arbitrary<int[]> words = Combinators.combine(
                        Arbitraries.frequencyOf(Tuple.of(3, u32Bits()), Tuple.of(1, Arbitraries.just(7))),
                        u32Bits(), u32Bits(), u32Bits())
                .as((id, notifyId, dfeatures, gfeatures) -> new int[] {id, notifyId, dfeatures, gfeatures});
        Arbitrary<Integer> status = Arbitraries.integers().between(0, 0xFF);
        boolean openamp = mode == ParseMode.OPENAMP;
        Arbitrary<Integer> reserved0 = openamp ? Arbitraries.just(0) : Arbitraries.integers().between(0, 1);
        Arbitrary<Integer> reserved1 = openamp ? Arbitraries.just(0) : Arbitraries.integers().between(0, 0xFF);
        return Combinators.combine(words, status, reserved0, reserved1, vrings(mode).list().ofMaxSize(4),
                        rawBytes(80))
                .as((w, s, r0, r1, rings, config) -> new VdevResource(w[0], w[1], w[2], w[3], s, r0, r1, rings,
                        config));
    }

    static Arbitrary<VendorResource> vendors() {
        return Combinators.combine(
                        Arbitraries.integers().between(FwRscHdrLayout.RSC_VENDOR_START, FwRscHdrLayout.RSC_VENDOR_END),
                        rawBytes(40))
                .as(VendorResource::new);
    }

    static Arbitrary<ResourceEntry> entries(ParseMode mode) {
        return Arbitraries.<ResourceEntry>oneOf(
                carveouts(mode), devmems(mode), traces(mode), vdevs(mode), vendors());
    }

    // ---------------------------------------------------------------- tables

    /** A valid table for {@code mode}: 0..8 entries of all five kinds. */
    static Arbitrary<ResourceTable> tables(ParseMode mode) {
        return Combinators.combine(reservedWord(mode), reservedWord(mode), entries(mode).list().ofMaxSize(8)
                        .withSizeDistribution(RandomDistribution.uniform()))
                .as(ResourceTable::new);
    }

    static Arbitrary<ResourceTable> openampTables() {
        return tables(ParseMode.OPENAMP);
    }

    static Arbitrary<ResourceTable> nuttxTables() {
        return tables(ParseMode.NUTTX);
    }

    /** A mode, and a valid table for it. */
    static Arbitrary<ModeTable> modeTables() {
        return Arbitraries.of(ParseMode.class).flatMap(mode -> tables(mode).map(t -> new ModeTable(mode, t)));
    }

    // ---------------------------------------------------------------- rptun_rsc_s

    private record RscHead(Generation generation, int num, long align, long da0, long da1, List<Integer> ids,
            int features, int role) {
    }

    static Arbitrary<RptunConfig> rptunConfigs() {
        return Combinators.combine(u32(), u32(), Arbitraries.longs(), Arbitraries.longs(), cpuNames(), cpuNames())
                .as(RptunConfig::new);
    }

    /** A NuttX standard table of either generation (the seed one keeps the default carveout it ignores). */
    static Arbitrary<RptunRsc> rptunRscs() {
        Arbitrary<RscHead> heads = Combinators.combine(Arbitraries.of(Generation.class), vringNums(), vringAligns(),
                        vringDas(), vringDas(), u32Bits().list().ofSize(3), u32Bits(),
                        Arbitraries.integers().between(FwRscVdevLayout.ROLE_DRIVER, FwRscVdevLayout.ROLE_DEVICE))
                .as(RscHead::new);
        CarveoutResource seedCarveout = RptunRsc.defaults(Generation.SEED).carveout();
        return Combinators.combine(heads, rptunConfigs(), traces(ParseMode.NUTTX), carveouts(ParseMode.NUTTX))
                .as((h, config, trace, carveout) -> new RptunRsc(h.generation(), h.num(), h.align(), h.da0(), h.da1(),
                        List.of(h.ids().get(1), h.ids().get(2)), h.ids().get(0), h.features(), h.role(), config,
                        trace, h.generation() == Generation.SEED ? seedCarveout : carveout));
    }

    /** The bytes of a valid table: mostly random tables of either mode, sometimes a standard rptun_rsc_s. */
    static Arbitrary<byte[]> validTableBytes() {
        return Arbitraries.frequencyOf(
                Tuple.of(4, openampTables().map(ResourceTableWriter::toBytes)),
                Tuple.of(4, nuttxTables().map(ResourceTableWriter::toBytes)),
                Tuple.of(2, rptunRscs().map(RptunRsc::toBytes)));
    }

    // ---------------------------------------------------------------- mutations

    enum MutationKind {
        /** XOR one byte with a non-zero mask. */
        FLIP_BYTE,
        /** Overwrite a u32 (mostly 4-aligned) with an interesting value. */
        SET_U32,
        /** Cut the table to a shorter length (possibly 0). */
        TRUNCATE,
        /** Append 1..64 random bytes. */
        EXTEND,
    }

    /**
     * One byte-level change. {@code position} (≥ 0) and {@code value} are raw choices, reduced modulo the
     * current length when applied, so that any pair is meaningful for any table.
     */
    record Mutation(MutationKind kind, int position, int value) {

        byte[] applyTo(byte[] in) {
            int len = in.length;
            switch (kind) {
                case FLIP_BYTE -> {
                    if (len == 0) {
                        return in;
                    }
                    byte[] out = in.clone();
                    int mask = value & 0xFF;
                    out[position % len] ^= (byte) (mask == 0 ? 0xFF : mask);
                    return out;
                }
                case SET_U32 -> {
                    if (len < 4) {
                        return in;
                    }
                    int at = position % (len - 3);
                    if (((value >>> 8) & 3) != 0) {
                        at &= ~3;
                    }
                    byte[] out = in.clone();
                    MemorySegment.ofArray(out).set(LE_U32, at, interesting(Math.floorMod(value, 13), len));
                    return out;
                }
                case TRUNCATE -> {
                    return Arrays.copyOf(in, position % (len + 1));
                }
                case EXTEND -> {
                    byte[] tail = new byte[1 + position % 64];
                    new Random(value).nextBytes(tail);
                    byte[] out = Arrays.copyOf(in, len + tail.length);
                    System.arraycopy(tail, 0, out, len, tail.length);
                    return out;
                }
                default -> throw new AssertionError(kind);
            }
        }

        private static int interesting(int index, int tableLength) {
            return switch (index) {
                case 0 -> 0;
                case 1 -> 1;
                case 2 -> 3;
                case 3 -> 0x7F;
                case 4 -> 0x80;
                case 5 -> 0x200;
                case 6 -> 0x201;
                case 7 -> 0xFFFF;
                case 8 -> 0x7FFF_FFFF;
                case 9 -> 0x8000_0000;
                case 10 -> 0xFFFF_FFFF;
                case 11 -> tableLength;
                default -> tableLength - 1;
            };
        }
    }

    static Arbitrary<MutationKind> mutationKinds() {
        return Arbitraries.frequencyOf(
                Tuple.of(4, Arbitraries.just(MutationKind.FLIP_BYTE)),
                Tuple.of(4, Arbitraries.just(MutationKind.SET_U32)),
                Tuple.of(1, Arbitraries.just(MutationKind.TRUNCATE)),
                Tuple.of(1, Arbitraries.just(MutationKind.EXTEND)));
    }

    static Arbitrary<Mutation> mutations() {
        // Positions are uniform, not biased towards 0, so that mutations land all over the table.
        Arbitrary<Integer> positions = Arbitraries.integers().between(0, Integer.MAX_VALUE)
                .withDistribution(RandomDistribution.uniform());
        return Combinators.combine(mutationKinds(), positions, Arbitraries.integers()).as(Mutation::new);
    }

    /** 1..8 mutations. */
    static Arbitrary<List<Mutation>> mutationLists() {
        return mutations().list().ofMinSize(1).ofMaxSize(8);
    }

    /** The same distribution of kinds as {@link #mutationKinds()}, from a plain {@link Random}. */
    static Mutation randomMutation(Random random) {
        int k = random.nextInt(10);
        MutationKind kind = k < 4 ? MutationKind.FLIP_BYTE
                : k < 8 ? MutationKind.SET_U32
                : k < 9 ? MutationKind.TRUNCATE
                : MutationKind.EXTEND;
        return new Mutation(kind, random.nextInt(Integer.MAX_VALUE), random.nextInt());
    }

    static byte[] mutate(byte[] table, List<Mutation> mutations) {
        byte[] out = table;
        for (Mutation m : mutations) {
            out = m.applyTo(out);
        }
        return out;
    }
}
