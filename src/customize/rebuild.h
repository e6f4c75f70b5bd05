// `hull customize --rebuild`: the image rebuilt by `hull build` from the spec
// it records (node::kSpecRecord, docs/build.md) with the configuration's
// `os.packages` applied. These are the pure pieces: the spec's new text and
// where the rebuild takes the spec's files from (the verified base's /usr).
// customize.cc verifies and unpacks the base and runs the build pipeline.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "customize/config.h"
#include "spec/spec.h"

namespace hull::customize {

// The spec text the image `image` records, read from its unpacked /usr
// `usr` (node::kSpecRecord, through tree_path.h: no link followed).
// kNotFound for an image that records none (built before hull build
// recorded its spec): it cannot be rebuilt and needs hull build.
Result<std::string> ReadRecordedSpec(const std::string& usr, const std::string& image);

// The recorded spec `recorded` (named `name` in errors) with `changes`
// applied to its package list (the default spec's of its arch when it names
// none): each removed package taken out, then each installed one appended
// (one the list has already stays where it is). The text is the recorded
// document re-emitted with the new `packages` list, under a first comment
// naming the change (the recorded text's own comments are not kept).
// Errors: the recorded spec's parse errors; kInvalidArgument naming the
// configuration's entry for a removed package the spec does not have.
Result<std::string> RewriteSpecPackages(std::string_view recorded, const std::string& name,
                                        const Packages& changes, int64_t build_time);

// Points the spec's `files` sources and `update.trusted_root` at the base's
// own copies in the unpacked tree `usr` (the base's /usr): each file at its
// destination (/etc/x is usr/etc/x), the trusted root at
// node::kFactoryRoot. Each must be there as a regular file or directory
// with no symbolic link on the way (kRefused for a link, kNotFound naming
// the entry when absent). kRefused for a preload from a host path (a layout
// or an archive), which the image does not keep.
Status SourcesFromBase(spec::ImageSpec& s, const std::string& usr);

}  // namespace hull::customize
