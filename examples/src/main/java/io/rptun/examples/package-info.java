/**
 * Runnable examples and the rptun command line (work in progress: see the command-line issue).
 */
@NullMarked
package io.rptun.examples;

import org.jspecify.annotations.NullMarked;
