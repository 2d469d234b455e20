package io.rptun.reliability;

/** How big the suites run: short in the normal build, long with {@code -Preliability-long}. */
final class Scale {
    private Scale() {
    }

    /** True with {@code -Preliability-long} (system property {@code rptun.reliability=long}). */
    static boolean isLong() {
        return "long".equals(System.getProperty("rptun.reliability", "short"));
    }

    /** {@code shortValue} in the normal build, {@code longValue} with the profile. */
    static int pick(int shortValue, int longValue) {
        return isLong() ? longValue : shortValue;
    }
}
