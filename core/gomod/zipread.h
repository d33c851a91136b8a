/*
 * A zip reader for module zips: parses the structure of an archive through pread() on
 * a file descriptor and streams one entry's content at a time. It never maps the file
 * and never holds an entry's content in memory (64 KiB buffers).
 *
 * Structure accepted (stricter than Go's archive/zip, which module zips never need
 * to exceed): one end-of-central-directory record ending exactly at the end of the
 * file (its comment included), optionally a zip64 locator + record; single disk; the
 * central directory ending exactly where the (zip64) end record starts, holding
 * exactly the announced number of entries; every local header present, with the same
 * name as its central entry; entries' data inside the archive and not overlapping
 * (which defeats overlapping-entry zip bombs); no encrypted entries; no data
 * prepended to the archive. Sizes and offsets come from the central directory
 * (zip64 extra fields honoured).
 *
 * Errors: functions return a stoa_status and put one human line into why (when
 * why != NULL): STOA_INVALID for anything malformed, truncated or corrupt;
 * STOA_TOOLARGE when the archive has more entries than the caller's cap;
 * STOA_INTERNAL for I/O errors and allocation failure.
 */
#ifndef STOA_ZIPREAD_H
#define STOA_ZIPREAD_H

#include <stddef.h>
#include <stdint.h>
#include <stoa/stoa.h>

/* The errors convention above, for the zip code (zipread, zipcheck, zipbuild, dirhash):
 * writes one line into why when why != NULL, and returns status. */
int zip_fail(char *why, size_t whylen, int status, const char *fmt, ...) STOA_PRINTF(4, 5);

#define ZIPREAD_STORE 0
#define ZIPREAD_DEFLATE 8
#define ZIPREAD_OS_UNIX 3 /* high byte of "version made by" */

struct zipread_entry {
    char *name;             /* NUL-terminated copy, owned by the archive; may hold NULs */
    size_t name_len;        /* bytes of name, which is what counts */
    uint64_t csize;         /* compressed size */
    uint64_t usize;         /* declared uncompressed size */
    uint64_t local_offset;  /* local header */
    uint64_t data_offset;   /* first byte of the (compressed) data */
    uint32_t crc32;
    uint32_t ext_attrs;     /* external attributes; Unix mode in the high 16 bits */
    uint16_t made_by;       /* "version made by": high byte is the creator OS */
    uint16_t method;
    uint16_t flags;
};

struct zipread_archive {
    int fd;                        /* borrowed: never closed here */
    uint64_t size;
    uint64_t cd_offset;
    uint64_t cd_size;
    size_t count;
    struct zipread_entry *entries; /* count entries, central-directory order */
};

/* Parses the archive in fd (size bytes). max_entries caps the entry count (0 = no cap).
 * On STOA_OK, za owns the entries until zipread_close; on failure za needs no close. */
int zipread_open(struct zipread_archive *za, int fd, uint64_t size, size_t max_entries, char *why,
                 size_t whylen);

/* Frees what zipread_open allocated. Safe on a zeroed or already-closed archive. */
void zipread_close(struct zipread_archive *za);

/* Receives decompressed bytes. Returns STOA_OK to continue; anything else stops the
 * stream and is returned by zipread_stream (the sink fills why itself). */
typedef int (*zipread_sink)(void *ctx, const void *buf, size_t len, char *why, size_t whylen);

/* Decompresses entry e (store or deflate) into sink, verifying that the data has
 * exactly e->usize bytes and matches e->crc32. Stops inflating as soon as the output
 * exceeds the declared size, so a lying entry costs at most usize + 64 KiB of work.
 * sink may be NULL (verify only). STOA_UNPROCESSABLE for an unsupported method. */
int zipread_stream(const struct zipread_archive *za, const struct zipread_entry *e, zipread_sink sink, void *ctx,
                   char *why, size_t whylen);

/* Index of the entry whose name is exactly name (len bytes), or -1. Linear: for
 * picking one file (go.mod), not for loops over all entries. */
long zipread_find(const struct zipread_archive *za, const char *name, size_t len);

/* Writes name (len bytes) into out as a double-quoted string, escaping '"', '\\' and
 * bytes outside printable ASCII as \xNN, truncated with "..." to fit outlen. For
 * error messages: archive names are attacker-controlled. */
void zipread_quote(const char *name, size_t len, char *out, size_t outlen);

#endif
