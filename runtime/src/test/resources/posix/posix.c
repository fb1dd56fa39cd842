/*
 * posix: a small POSIX conformance driver for a mounted file system, per
 * system call, success and error cases, with real syscalls.
 *
 *   posix DIR root             as root, in the empty folder DIR
 *   posix DIR user FIXTURES    as a non-root user, in DIR (writable by it);
 *                              FIXTURES holds root's "secret" (0600) and
 *                              "rootdir" (0755), made by "posix FIXTURES fixtures"
 *   posix FIXTURES fixtures    as root: makes those
 *   posix DIR exdev OTHER      rename(2) from DIR to another file system: EXDEV
 *
 * Prints TAP ("ok N - what" / "not ok N - what: got ..."); exit status is the
 * number of failed checks (at most 100).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/types.h>
#include <unistd.h>

static int n, failed;
static char base[PATH_MAX / 2];

static const char *p(const char *name) {
    static char buf[4][PATH_MAX];
    static int i;
    i = (i + 1) % 4;
    snprintf(buf[i], PATH_MAX, "%s/%s", base, name);
    return buf[i];
}

/* A call that must succeed (rc >= 0). */
static void ok(int rc, const char *what, ...) {
    char text[512];
    va_list ap;
    va_start(ap, what);
    vsnprintf(text, sizeof text, what, ap);
    va_end(ap);
    n++;
    if (rc >= 0) {
        printf("ok %d - %s\n", n, text);
    } else {
        printf("not ok %d - %s: failed with %s\n", n, text, strerror(errno));
        failed++;
    }
}

/* A call that must fail with errno {@code want}. */
static void err(int rc, int want, const char *what) {
    n++;
    if (rc < 0 && errno == want) {
        printf("ok %d - %s: %s\n", n, what, strerror(want));
    } else {
        printf("not ok %d - %s: want %s, got %s\n", n, what, strerror(want), rc < 0 ? strerror(errno) : "success");
        failed++;
    }
}

static void is(long got, long want, const char *what) {
    n++;
    if (got == want) {
        printf("ok %d - %s\n", n, what);
    } else {
        printf("not ok %d - %s: want %ld, got %ld\n", n, what, want, got);
        failed++;
    }
}

static int create(const char *path, const char *text) {
    int fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0644);
    if (fd < 0) return -1;
    if (text && write(fd, text, strlen(text)) != (ssize_t) strlen(text)) { close(fd); return -1; }
    return close(fd);
}

static void common(void) {
    char longname[300];
    struct stat st;
    char buf[64];

    /* mkdir, rmdir */
    ok(mkdir(p("d"), 0755), "mkdir");
    err(mkdir(p("d"), 0755), EEXIST, "mkdir of an existing name");
    err(mkdir(p("missing/d"), 0755), ENOENT, "mkdir under a missing directory");
    ok(create(p("f"), "hello"), "create a file");
    err(mkdir(p("f/d"), 0755), ENOTDIR, "mkdir under a file");
    memset(longname, 'n', 256);
    longname[256] = 0;
    err(mkdir(p(longname), 0755), ENAMETOOLONG, "mkdir of a 256-byte name");
    ok(create(p("d/inside"), NULL), "create in a directory");
    err(rmdir(p("d")), ENOTEMPTY, "rmdir of a directory with an entry");
    err(rmdir(p("f")), ENOTDIR, "rmdir of a file");
    err(rmdir(p("nothing")), ENOENT, "rmdir of a missing name");

    /* open, read, write */
    err(open(p("f"), O_CREAT | O_EXCL | O_WRONLY, 0644), EEXIST, "open O_CREAT|O_EXCL of an existing file");
    err(open(p("nothing"), O_RDONLY), ENOENT, "open of a missing file");
    err(open(p("d"), O_WRONLY), EISDIR, "open of a directory for writing");
    int fd = open(p("f"), O_RDWR);
    ok(fd, "open for reading and writing");
    is(pread(fd, buf, sizeof buf, 0), 5, "pread reads the 5 bytes written");
    is(pread(fd, buf, sizeof buf, 100), 0, "pread past the end reads nothing");
    is(pwrite(fd, "xy", 2, 10), 2, "pwrite past the end");
    ok(fstat(fd, &st), "fstat");
    is(st.st_size, 12, "the file grew to 12 bytes, with a hole");
    is(pread(fd, buf, 5, 5), 5, "a hole reads");
    is(buf[0] == 0 && buf[4] == 0, 1, "a hole reads as zeros");
    close(fd);
    fd = open(p("f"), O_WRONLY | O_APPEND);
    ok(fd, "open O_APPEND");
    is(pwrite(fd, "z", 1, 0), 1, "an append");
    close(fd);
    ok(stat(p("f"), &st), "stat");
    is(st.st_size, 13, "O_APPEND writes at the end whatever the offset");
    fd = open(p("f"), O_WRONLY | O_TRUNC);
    ok(fd, "open O_TRUNC");
    close(fd);
    ok(stat(p("f"), &st), "stat after O_TRUNC");
    is(st.st_size, 0, "O_TRUNC empties the file");

    /* unlink */
    err(unlink(p("d")), EISDIR, "unlink of a directory");
    err(unlink(p("nothing")), ENOENT, "unlink of a missing name");
    ok(unlink(p("d/inside")), "unlink");
    ok(rmdir(p("d")), "rmdir of the emptied directory");

    /* rename */
    ok(mkdir(p("a"), 0755), "mkdir a");
    ok(mkdir(p("b"), 0755), "mkdir b");
    ok(create(p("b/x"), NULL), "create b/x");
    err(rename(p("a"), p("b")), ENOTEMPTY, "rename of a directory onto a non-empty one");
    err(rename(p("f"), p("a")), EISDIR, "rename of a file onto a directory");
    err(rename(p("a"), p("f")), ENOTDIR, "rename of a directory onto a file");
    ok(mkdir(p("a/sub"), 0755), "mkdir a/sub");
    err(rename(p("a"), p("a/sub/into")), EINVAL, "rename of a directory into its own subtree");
    ok(create(p("g"), "new"), "create g");
    ok(rename(p("g"), p("f")), "rename of a file onto a file replaces it");
    ok(stat(p("f"), &st), "stat the replaced name");
    is(st.st_size, 3, "the name holds the moved file");
    err(stat(p("g"), &st), ENOENT, "the old name is gone");
    ok(rename(p("a/sub"), p("b/sub")), "rename of a directory to another directory");
    err(rename(p("nothing"), p("b/y")), ENOENT, "rename of a missing name");

    /* link, symlink, readlink */
    ok(link(p("f"), p("hard")), "link");
    ok(stat(p("f"), &st), "stat a linked file");
    is(st.st_nlink, 2, "two links");
    err(link(p("a"), p("dirlink")), EPERM, "link of a directory");
    err(link(p("f"), p("hard")), EEXIST, "link onto an existing name");
    ok(symlink("f", p("soft")), "symlink");
    err(symlink("f", p("soft")), EEXIST, "symlink onto an existing name");
    memset(buf, 0, sizeof buf);
    is(readlink(p("soft"), buf, sizeof buf), 1, "readlink returns the target's length");
    is(buf[0] == 'f', 1, "readlink returns the target");
    err(readlink(p("f"), buf, sizeof buf), EINVAL, "readlink of a file");
    ok(symlink("loop2", p("loop1")), "symlink loop1 -> loop2");
    ok(symlink("loop1", p("loop2")), "symlink loop2 -> loop1");
    err(open(p("loop1"), O_RDONLY), ELOOP, "open through a loop of symbolic links");
    ok(lstat(p("soft"), &st), "lstat of a symbolic link");
    is(S_ISLNK(st.st_mode), 1, "lstat says symbolic link");

    /* truncate, chmod, utimens, mkfifo, mknod, statfs */
    err(truncate(p("a"), 0), EISDIR, "truncate of a directory");
    ok(truncate(p("f"), 100), "truncate to grow");
    ok(stat(p("f"), &st), "stat after truncate");
    is(st.st_size, 100, "truncate set the size");
    ok(chmod(p("f"), 0600), "chmod");
    ok(stat(p("f"), &st), "stat after chmod");
    is(st.st_mode & 07777, 0600, "chmod set the mode");
    struct timespec times[2] = {{1000000000, 0}, {1000000000, 500}};
    ok(utimensat(AT_FDCWD, p("f"), times, 0), "utimensat");
    ok(stat(p("f"), &st), "stat after utimensat");
    is(st.st_mtime, 1000000000, "utimensat set the modification time");
    ok(mkfifo(p("fifo"), 0644), "mkfifo");
    ok(lstat(p("fifo"), &st), "lstat of a FIFO");
    is(S_ISFIFO(st.st_mode), 1, "a FIFO");
    struct statfs sf;
    ok(statfs(base, &sf), "statfs");
    is(sf.f_blocks > 0, 1, "statfs reports blocks");

    /* a file unlinked while open keeps its data until its last close (through this mount) */
    fd = open(p("ghost"), O_CREAT | O_EXCL | O_RDWR, 0644);
    ok(fd, "create a file to unlink while open");
    is(write(fd, "boo", 3), 3, "write to it");
    ok(unlink(p("ghost")), "unlink it while it is open");
    err(stat(p("ghost"), &st), ENOENT, "its name is gone");
    char ghost[4] = {0};
    is(pread(fd, ghost, 3, 0), 3, "read through the open file after the unlink");
    is(memcmp(ghost, "boo", 3), 0, "its data is still there");
    ok(close(fd), "the last close");

    /* libfuse2 speaks FUSE 7.19: the kernel refuses rename flags before asking it */
    ok(create(p("r1"), NULL), "create a file to rename with flags");
    err(renameat2(AT_FDCWD, p("r1"), AT_FDCWD, p("r2"), RENAME_NOREPLACE), EINVAL, "rename with RENAME_NOREPLACE");
    err(renameat2(AT_FDCWD, p("r1"), AT_FDCWD, p("f"), RENAME_EXCHANGE), EINVAL, "rename with RENAME_EXCHANGE");
}

static void as_root(void) {
    struct stat st;
    ok(create(p("owned"), NULL), "create a file to give away");
    ok(chown(p("owned"), 65534, 65534), "chown by root");
    ok(stat(p("owned"), &st), "stat after chown");
    is(st.st_uid, 65534, "chown set the owner");
    err(mknod(p("dev"), S_IFCHR | 0644, makedev(1, 3)), EPERM, "mknod of a character device (kDFS has none)");
    err(mknod(p("sock"), S_IFSOCK | 0644, 0), EPERM, "mknod of a socket (kDFS has none)");
}

static void as_user(const char *fixtures) {
    char secret[PATH_MAX], rootdir[PATH_MAX], inside[PATH_MAX];
    struct stat st;
    snprintf(secret, sizeof secret, "%s/secret", fixtures);
    snprintf(rootdir, sizeof rootdir, "%s/rootdir", fixtures);
    snprintf(inside, sizeof inside, "%s/rootdir/mine", fixtures);
    err(open(secret, O_RDONLY), EACCES, "open of root's 0600 file by another user");
    err(access(secret, R_OK), EACCES, "access R_OK of root's 0600 file");
    err(mkdir(inside, 0755), EACCES, "mkdir in root's 0755 directory");
    err(create(inside, NULL), EACCES, "create in root's 0755 directory");
    err(chmod(secret, 0644), EPERM, "chmod of root's file");
    err(chown(secret, getuid(), getgid()), EPERM, "chown of root's file");
    err(unlink(secret), EACCES, "unlink in root's 0755 directory");
    ok(create(p("mine"), "x"), "create in a folder of one's own");
    ok(stat(p("mine"), &st), "stat of one's own file");
    is(st.st_uid, (long) getuid(), "a new file is owned by its creator");
    err(chown(p("mine"), 0, st.st_gid), EPERM, "chown to root by a user");
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: posix DIR root|user FIXTURES|fixtures|exdev OTHER\n");
        return 100;
    }
    snprintf(base, sizeof base, "%s", argv[1]);
    if (!strcmp(argv[2], "fixtures")) {
        ok(create(p("secret"), "root only"), "fixture: root's secret");
        ok(chmod(p("secret"), 0600), "fixture: secret 0600");
        ok(mkdir(p("rootdir"), 0755), "fixture: root's directory");
    } else if (!strcmp(argv[2], "exdev")) {
        char other[PATH_MAX];
        snprintf(other, sizeof other, "%s/moved", argv[3]);
        ok(create(p("leaving"), NULL), "create a file to move off the mount");
        err(rename(p("leaving"), other), EXDEV, "rename to another file system");
    } else {
        common();
        if (!strcmp(argv[2], "root")) {
            as_root();
        } else {
            as_user(argv[3]);
        }
    }
    printf("1..%d\n", n);
    return failed > 100 ? 100 : failed;
}
