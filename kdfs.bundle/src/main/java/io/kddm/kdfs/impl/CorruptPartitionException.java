package io.kddm.kdfs.impl;


import io.kddm.kdfs.Errno;
import io.kddm.kdfs.KdfsException;

/** A partition file that is missing, damaged or of another format: the message names the file. */
final class CorruptPartitionException extends KdfsException {
    private static final long serialVersionUID = 1L;

    CorruptPartitionException(Object file, String what) {
        super(Errno.EIO, file + ": " + what);
    }
}
