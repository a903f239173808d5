#include "pcmkit/core/untrusted_files.h"

#include "pcmkit/core/detail/isolated_call.h"

namespace pcmkit {

void parse_untrusted_files_in_process() { run_isolated_in_process(); }

}  // namespace pcmkit
