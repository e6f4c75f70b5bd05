// Test fixture: a small static program standing in for hull-init so the
// initrd's format (newc + zstd, /init executable) can be built and checked.
// It does not boot anything: it says so and exits non-zero.
#include <unistd.h>

int main() {
  static const char kMsg[] = "hull initrd format fixture: not a real init\n";
  (void)!write(2, kMsg, sizeof(kMsg) - 1);
  return 1;
}
