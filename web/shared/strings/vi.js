// Vietnamese: the default language. Keys are grouped by screen; `common.*` and `err.*`
// are shared. Natural wording with full diacritics.
export default {
  // --- common ---
  'common.app': 'Hội thi tìm hiểu',
  'common.connecting': 'Đang kết nối…',
  'common.online': 'Đã kết nối',
  'common.offline': 'Mất kết nối, đang thử lại…',
  'common.revoked': 'Phiên làm việc đã bị thu hồi.',
  'common.unauthorized': 'Phiên đăng nhập đã hết hạn. Vui lòng đăng nhập lại.',
  'common.points': '{n} điểm',
  'common.rank': 'Hạng {n}',
  'common.team': 'Đội',
  'common.teams': 'đội',
  'common.total': 'Tổng điểm',
  'common.question_no': 'Câu {no}/{total}',
  'common.signout': 'Đăng xuất',
  'common.loading': 'Đang tải…',
  'common.close': 'Đóng',
  'common.cancel': 'Hủy',
  'common.save': 'Lưu',

  // --- errors from the server, by code ---
  'err.generic': 'Có lỗi xảy ra. Vui lòng thử lại.',
  'err.network': 'Không kết nối được máy chủ. Kiểm tra mạng và thử lại.',
  'err.not_found': 'Không tìm thấy.',
  'err.rate_limited': 'Thử sai quá nhiều lần. Vui lòng chờ một lát rồi thử lại.',
  'err.wrong_credentials': 'Tên đăng nhập hoặc mật khẩu không đúng.',
  'err.contest_closed': 'Hội thi đã kết thúc.',
  'err.deadline_passed': 'Hết giờ: câu trả lời đến sau thời hạn nên không được tính.',
  'err.no_open_question': 'Hiện không có câu hỏi nào đang mở.',
  'err.question_not_open': 'Câu hỏi này đã đóng.',
  'err.not_open_yet': 'Chưa đến giờ trả lời.',
  'err.paused': 'Câu hỏi đang tạm dừng.',
  'err.star_used': 'Đội đã dùng ngôi sao hy vọng trong phần thi này.',
  'err.star_not_allowed': 'Phần thi này không có ngôi sao hy vọng.',
  'err.not_captain': 'Chỉ đội trưởng được trả lời.',
  'err.contestant_removed': 'Bạn không còn trong đội thi.',
  'err.token_revoked': 'Phiên làm việc đã bị thu hồi.',
  'err.token_expired': 'Phiên đăng nhập đã hết hạn.',
  'err.forbidden': 'Bạn không có quyền làm việc này.',
  'err.invalid_state': 'Không thể thực hiện ở trạng thái hiện tại.',
  'err.invalid_input': 'Dữ liệu chưa hợp lệ.',
  'err.already_exists': 'Đã có mục trùng tên.',
  'err.unavailable': 'Máy chủ tạm thời không sẵn sàng. Vui lòng thử lại.',
  'err.internal': 'Máy chủ gặp lỗi. Vui lòng báo Ban tổ chức.',
  'err.payload_too_large': 'Tệp hoặc dữ liệu quá lớn.',
  'err.part_started': 'Phần thi đã bắt đầu nên không đổi được thiết lập này.',

  // --- play (contestant's phone) ---

  // --- console (organiser) ---

  // --- projector ---

  // --- judge ---
};
