//! Reference data of a new installation, from the source documents: the Working Group of
//! Notice 22-TB/CQTTBCĐ (20 March 2026) with its member ministries, the other bodies the sources
//! name, the directives, and the tasks of Notice 22. Seeding twice changes nothing.

use super::directives::{self, new_directive, DirectiveInput};
use super::users::{self, command_line_actor, UserInput};
use super::{ministries, AppState};
use crate::auth::password::generate_password;
use crate::error::AppResult;
use crate::text;
use chrono::NaiveDate;
use entity::enums::{MemberRole, MinistryKind, Role, TaskStatus};
use entity::{ministry, task, task_cooperator, user, working_group, working_group_member};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, TransactionTrait};
use uuid::Uuid;

/// (code, Vietnamese name, English name, kind)
pub const MINISTRIES: &[(&str, &str, &str, MinistryKind)] = &[
    ("MOST", "Bộ Khoa học và Công nghệ", "Ministry of Science and Technology", MinistryKind::Ministry),
    ("MOIT", "Bộ Công Thương", "Ministry of Industry and Trade", MinistryKind::Ministry),
    ("MOF", "Bộ Tài chính", "Ministry of Finance", MinistryKind::Ministry),
    ("MOET", "Bộ Giáo dục và Đào tạo", "Ministry of Education and Training", MinistryKind::Ministry),
    ("MOFA", "Bộ Ngoại giao", "Ministry of Foreign Affairs", MinistryKind::Ministry),
    ("MOD", "Bộ Quốc phòng", "Ministry of National Defence", MinistryKind::Ministry),
    ("MPS", "Bộ Công an", "Ministry of Public Security", MinistryKind::Ministry),
    ("MOC", "Bộ Xây dựng", "Ministry of Construction", MinistryKind::Ministry),
    ("MAE", "Bộ Nông nghiệp và Môi trường", "Ministry of Agriculture and Environment", MinistryKind::Ministry),
    ("MOH", "Bộ Y tế", "Ministry of Health", MinistryKind::Ministry),
    ("MOJ", "Bộ Tư pháp", "Ministry of Justice", MinistryKind::Ministry),
    (
        "VAST",
        "Viện Hàn lâm Khoa học và Công nghệ Việt Nam",
        "Vietnam Academy of Science and Technology",
        MinistryKind::GovernmentAgency,
    ),
    ("VNU-HN", "Đại học Quốc gia Hà Nội", "Vietnam National University, Hanoi", MinistryKind::Other),
    (
        "VNU-HCM",
        "Đại học Quốc gia Thành phố Hồ Chí Minh",
        "Vietnam National University, Ho Chi Minh City",
        MinistryKind::Other,
    ),
    ("VIETTEL", "Tập đoàn Công nghiệp - Viễn thông Quân đội", "Viettel Group", MinistryKind::Other),
    (
        "VNPT",
        "Tập đoàn Bưu chính Viễn thông Việt Nam",
        "Vietnam Posts and Telecommunications Group",
        MinistryKind::Other,
    ),
];

/// The members of the Working Group, §2(a) of Notice 22's appendix.
const MEMBERS: &[&str] = &["MOST", "MOIT", "MOF", "MOET", "MOFA", "MOD", "MPS", "MOC", "MAE", "MOH"];

pub const NOTICE_22: &str = "22-TB/CQTTBCĐ";

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

fn directive_list() -> Vec<DirectiveInput> {
    vec![
        DirectiveInput {
            number: NOTICE_22.into(),
            title: "Thông báo kết luận của đồng chí Tổng Bí thư Tô Lâm, Trưởng Ban Chỉ đạo Trung ương về phát triển khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số tại Phiên họp chuyên đề về Công nghệ chiến lược của Thường trực Ban Chỉ đạo".into(),
            issuer: "Cơ quan Thường trực Ban Chỉ đạo Trung ương về phát triển khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số".into(),
            issued_on: date(2026, 3, 20),
            summary: Some("6 định hướng lớn và 6 việc cần làm ngay về công nghệ chiến lược; thành lập Tổ Công tác của Chính phủ về phát triển công nghệ chiến lược do một Phó Thủ tướng làm Tổ trưởng, báo cáo hằng tháng.".into()),
        },
        DirectiveInput {
            number: "1131/QĐ-TTg".into(),
            title: "Quyết định ban hành Danh mục công nghệ chiến lược và sản phẩm công nghệ chiến lược".into(),
            issuer: "Thủ tướng Chính phủ".into(),
            issued_on: date(2025, 6, 12),
            summary: Some("11 nhóm công nghệ chiến lược và 35 sản phẩm công nghệ chiến lược.".into()),
        },
        DirectiveInput {
            number: "05-TB/BCĐTW".into(),
            title: "Thông báo về Tổ công tác liên ngành hỗ trợ doanh nghiệp Việt Nam tìm kiếm, đàm phán và mua lại các công ty công nghệ nước ngoài có sở hữu trí tuệ, bí quyết công nghệ quan trọng".into(),
            issuer: "Ban Chỉ đạo Trung ương về phát triển khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số".into(),
            issued_on: date(2025, 7, 4),
            summary: None,
        },
        DirectiveInput {
            number: "569-CV/TU".into(),
            title: "Công văn về triển khai thực hiện Thông báo số 22-TB/CQTTBCĐ, ngày 20/3/2026".into(),
            issuer: "Tỉnh ủy Điện Biên".into(),
            issued_on: date(2026, 3, 23),
            summary: Some("Tỉnh chuyển tiếp Thông báo 22 xuống các cơ quan, đảng ủy trực thuộc.".into()),
        },
        DirectiveInput {
            number: "506-CV/ĐU".into(),
            title: "Công văn về triển khai thực hiện Thông báo số 22-TB/VPTW, ngày 20/3/2026".into(),
            issuer: "Đảng ủy xã Sính Bình, tỉnh Điện Biên".into(),
            issued_on: date(2026, 3, 25),
            summary: Some("Xã chuyển tiếp Thông báo 22 xuống các chi, đảng bộ trực thuộc.".into()),
        },
    ]
}

/// A task of Notice 22: (code, title, description, lead, cooperating, due, approving authority, expected output).
struct SeedTask {
    code: &'static str,
    title: &'static str,
    description: &'static str,
    lead: &'static str,
    cooperating: &'static [&'static str],
    due: Option<(i32, u32, u32)>,
    authority: &'static str,
    output: Option<&'static str>,
}

const STEERING: &str = "Thường trực Ban Chỉ đạo Trung ương (Thông báo 22-TB/CQTTBCĐ)";

const TASKS: &[SeedTask] = &[
    SeedTask { code: "TB22-1", title: "Rà soát, hoàn thiện Danh mục công nghệ chiến lược và sản phẩm công nghệ chiến lược",
        description: "Rà soát và hoàn thiện Danh mục theo hướng tinh gọn, tập trung vào những lĩnh vực có ý nghĩa quyết định đối với phát triển đất nước cả trước mắt và lâu dài; trình Thủ tướng Chính phủ ban hành.",
        lead: "MOST", cooperating: &["MOD", "MPS", "MOIT", "MAE", "MOH", "MOC", "MOET", "MOF"], due: Some((2026, 4, 30)),
        authority: "Thủ tướng Chính phủ ban hành", output: Some("Quyết định của Thủ tướng Chính phủ sửa đổi Danh mục công nghệ chiến lược và sản phẩm công nghệ chiến lược") },
    SeedTask { code: "TB22-2", title: "Thiết lập cơ chế chỉ đạo và điều phối thống nhất ở cấp Chính phủ",
        description: "Tham mưu thành lập Tổ Công tác điều phối liên ngành để tổ chức triển khai các chương trình phát triển công nghệ chiến lược; Tổ Công tác định kỳ hằng tháng báo cáo Ban Chỉ đạo.",
        lead: "MOST", cooperating: &[], due: Some((2026, 4, 30)),
        authority: STEERING, output: Some("Tổ Công tác của Chính phủ về phát triển công nghệ chiến lược được thành lập; báo cáo hằng tháng") },
    SeedTask { code: "TB22-3", title: "Ban hành bộ tiêu chuẩn về công nghệ chiến lược, công nghệ lõi và sản phẩm công nghệ chiến lược",
        description: "Khẩn trương ban hành bộ tiêu chuẩn, trong đó bao gồm việc xác định công nghệ chiến lược, sản phẩm công nghệ chiến lược.",
        lead: "MOST", cooperating: &[], due: Some((2026, 6, 30)),
        authority: STEERING, output: Some("Bộ tiêu chuẩn về công nghệ chiến lược, công nghệ lõi và sản phẩm công nghệ chiến lược") },
    SeedTask { code: "TB22-4A", title: "Cơ chế tài chính đặc thù cho phát triển công nghệ chiến lược",
        description: "Rà soát, đề xuất cơ chế tài chính đặc thù gắn với kết quả đầu ra, mốc kỹ thuật và chấp nhận rủi ro có kiểm soát; cơ chế sử dụng ngân sách nhà nước để đặt hàng, mua sắm (trong đó có mua lô sản phẩm đầu tiên); cơ chế bảo hộ phù hợp (Phụ lục, mục 2c).",
        lead: "MOST", cooperating: &["MOF", "MPS", "MOD", "MOIT"], due: Some((2026, 5, 31)),
        authority: STEERING, output: Some("Đề xuất cơ chế tài chính đặc thù cho phát triển công nghệ chiến lược") },
    SeedTask { code: "TB22-4B", title: "Cơ chế ưu đãi về thuế, tín dụng, hỗ trợ lãi suất, đồng tài trợ công - tư",
        description: "Rà soát, đề xuất cơ chế ưu đãi về thuế, tín dụng, hỗ trợ lãi suất, đồng tài trợ công - tư cho phát triển công nghệ chiến lược (Phụ lục, mục 2c).",
        lead: "MOF", cooperating: &["MOST", "MPS", "MOD", "MOIT"], due: Some((2026, 5, 31)),
        authority: STEERING, output: Some("Đề xuất cơ chế ưu đãi về thuế, tín dụng, hỗ trợ lãi suất, đồng tài trợ công - tư") },
    SeedTask { code: "TB22-5", title: "Chương trình đào tạo nhân lực chất lượng cao phục vụ phát triển công nghệ chiến lược",
        description: "Rà soát, điều chỉnh và xây dựng chương trình đào tạo nhân lực chất lượng cao; khuyến khích hình thành nhóm chuyên gia đầu ngành, nhóm nghiên cứu mạnh; tăng cường liên kết giữa cơ sở đào tạo với doanh nghiệp, viện nghiên cứu.",
        lead: "MOET", cooperating: &[], due: Some((2026, 6, 30)),
        authority: STEERING, output: Some("Chương trình đào tạo nhân lực chất lượng cao phục vụ phát triển công nghệ chiến lược") },
    SeedTask { code: "TB22-6", title: "Tháo gỡ khó khăn, vướng mắc do Cơ quan Thường trực chuyển đến",
        description: "Tập trung tháo gỡ ngay những khó khăn, vướng mắc của các bộ, ngành, doanh nghiệp, viện nghiên cứu, trường đại học do Cơ quan Thường trực chuyển đến; tháo gỡ theo thẩm quyền hoặc trình cấp có thẩm quyền xem xét, giải quyết.",
        lead: "MOST", cooperating: &["MOIT", "MOF", "MOET", "MOFA", "MOD", "MPS", "MOC", "MAE", "MOH"], due: Some((2026, 6, 30)),
        authority: STEERING, output: Some("Các khó khăn, vướng mắc được tháo gỡ theo thẩm quyền hoặc trình cấp có thẩm quyền") },
    SeedTask { code: "TB22-PL1", title: "Đăng ký công nghệ chiến lược, sản phẩm công nghệ chiến lược thuộc phạm vi quản lý",
        description: "Các bộ, cơ quan đăng ký công nghệ chiến lược, sản phẩm công nghệ chiến lược thuộc phạm vi quản lý của ngành, lĩnh vực, gửi về Cơ quan Thường trực Ban Chỉ đạo và Bộ Khoa học và Công nghệ để tổng hợp, đề xuất (Phụ lục, mục 1).",
        lead: "MOST", cooperating: &["MOIT", "MOF", "MOET", "MOFA", "MOD", "MPS", "MOC", "MAE", "MOH"], due: Some((2026, 4, 5)),
        authority: STEERING, output: Some("Bản tổng hợp đăng ký công nghệ chiến lược, sản phẩm công nghệ chiến lược của các bộ, cơ quan") },
    SeedTask { code: "TB22-PL2B", title: "Tài liệu hướng dẫn triển khai công nghệ chiến lược, sản phẩm công nghệ chiến lược",
        description: "Xây dựng Tài liệu hướng dẫn triển khai công nghệ chiến lược, sản phẩm công nghệ chiến lược từ khâu xác định đầu bài đến tổ chức thực hiện (Phụ lục, mục 2b).",
        lead: "MOST", cooperating: &[], due: Some((2026, 5, 31)),
        authority: STEERING, output: Some("Tài liệu hướng dẫn triển khai công nghệ chiến lược, sản phẩm công nghệ chiến lược") },
    SeedTask { code: "TB22-PL2D", title: "Hướng dẫn triển khai Mô hình hợp tác 3 Nhà",
        description: "Ban hành Hướng dẫn triển khai Mô hình hợp tác 3 Nhà (Nhà nước - Nhà trường/Viện nghiên cứu - Doanh nghiệp), làm rõ vai trò, trách nhiệm, cơ chế phối hợp của các bên (Phụ lục, mục 2d).",
        lead: "MOET", cooperating: &["MOST"], due: Some((2026, 4, 30)),
        authority: STEERING, output: Some("Hướng dẫn triển khai Mô hình hợp tác 3 Nhà") },
    SeedTask { code: "TB22-PL2B-TT", title: "Tuyên truyền cơ chế, chính sách ưu đãi đến doanh nghiệp và nhà khoa học",
        description: "Tăng cường công tác tuyên truyền để cộng đồng doanh nghiệp, nhà khoa học tiếp cận đầy đủ các cơ chế, chính sách ưu đãi của Nhà nước (Phụ lục, mục 2b).",
        lead: "MOST", cooperating: &[], due: None,
        authority: STEERING, output: None },
];

/// What a seeding run added.
#[derive(Debug, Default)]
pub struct SeedReport {
    pub ministries: usize,
    pub directives: usize,
    pub working_groups: usize,
    pub tasks: usize,
}

/// Loads the reference data; idempotent.
pub async fn reference(state: &AppState) -> AppResult<SeedReport> {
    let mut report = SeedReport::default();
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    for (code, vi, en, kind) in MINISTRIES {
        if ministries::by_code(&txn, code).await?.is_none() {
            ministry::ActiveModel {
                id: Set(Uuid::new_v4()),
                code: Set((*code).into()),
                name_vi: Set((*vi).into()),
                name_en: Set((*en).into()),
                kind: Set(*kind),
                search_text: Set(text::search_text([Some(*code), Some(*vi), Some(*en)])),
                version: Set(1),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(&txn)
            .await?;
            report.ministries += 1;
        }
    }
    for input in directive_list() {
        if directives::by_number(&txn, &input.number).await?.is_none() {
            new_directive(&input, now)?.insert(&txn).await?;
            report.directives += 1;
        }
    }
    let notice = directives::by_number(&txn, NOTICE_22).await?;
    let notice_id = notice.map(|d| d.id);
    let most = ministries::require_code(&txn, "ministry", "MOST").await?;
    const GROUP_NAME: &str = "Tổ Công tác của Chính phủ về phát triển công nghệ chiến lược";
    let group = match working_group::Entity::find()
        .filter(working_group::Column::NameVi.eq(GROUP_NAME))
        .one(&txn)
        .await?
    {
        Some(g) => g,
        None => {
            report.working_groups += 1;
            let group = working_group::ActiveModel {
                id: Set(Uuid::new_v4()),
                name_vi: Set(GROUP_NAME.into()),
                name_en: Set("Government Working Group on Strategic Technology Development".into()),
                description: Set(Some("Do một Phó Thủ tướng Chính phủ làm Tổ trưởng; thành viên là Bộ trưởng các Bộ; định kỳ hằng tháng báo cáo Thường trực Ban Chỉ đạo Trung ương. Bộ Khoa học và Công nghệ là cơ quan thường trực.".into())),
                directive_id: Set(notice_id),
                secretariat_ministry_id: Set(Some(most.id)),
                version: Set(1),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(&txn)
            .await?;
            let chair = working_group_member::ActiveModel {
                id: Set(Uuid::new_v4()),
                working_group_id: Set(group.id),
                ministry_id: Set(None),
                person_name: Set(None),
                title: Set("Phó Thủ tướng Chính phủ".into()),
                role: Set(MemberRole::Chair),
                created_at: Set(now),
            };
            chair.insert(&txn).await?;
            for code in MEMBERS {
                let m = ministries::require_code(&txn, "ministry", code).await?;
                working_group_member::ActiveModel {
                    id: Set(Uuid::new_v4()),
                    working_group_id: Set(group.id),
                    ministry_id: Set(Some(m.id)),
                    person_name: Set(None),
                    title: Set(format!("Bộ trưởng {}", m.name_vi)),
                    role: Set(MemberRole::Member),
                    created_at: Set(now),
                }
                .insert(&txn)
                .await?;
            }
            working_group_member::ActiveModel {
                id: Set(Uuid::new_v4()),
                working_group_id: Set(group.id),
                ministry_id: Set(None),
                person_name: Set(None),
                title: Set("Thường trực Tổ Giúp việc Ban Chỉ đạo Trung ương về phát triển khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số".into()),
                role: Set(MemberRole::Standing),
                created_at: Set(now),
            }
            .insert(&txn)
            .await?;
            group
        }
    };
    for seed in TASKS {
        if task::Entity::find().filter(task::Column::Code.eq(seed.code)).one(&txn).await?.is_some() {
            continue;
        }
        let lead = ministries::require_code(&txn, "lead", seed.lead).await?;
        let due = seed.due.map(|(y, m, d)| date(y, m, d));
        let t = task::ActiveModel {
            id: Set(Uuid::new_v4()),
            code: Set(seed.code.into()),
            title: Set(seed.title.into()),
            description: Set(Some(seed.description.into())),
            status: Set(if due.is_some() { TaskStatus::Active } else { TaskStatus::Draft }),
            lead_ministry_id: Set(lead.id),
            working_group_id: Set(Some(group.id)),
            directive_id: Set(notice_id),
            focal_person_name: Set(None),
            focal_person_title: Set(None),
            due_date: Set(due),
            approving_authority: Set(Some(seed.authority.into())),
            expected_output: Set(seed.output.map(Into::into)),
            resources: Set(None),
            completed_at: Set(None),
            completed_on_time: Set(None),
            cancel_reason: Set(None),
            search_text: Set(text::search_text([
                Some(seed.code),
                Some(seed.title),
                Some(seed.description),
                seed.output,
            ])),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
        for code in seed.cooperating {
            let m = ministries::require_code(&txn, "cooperating", code).await?;
            task_cooperator::ActiveModel { task_id: Set(t.id), ministry_id: Set(m.id) }.insert(&txn).await?;
        }
        report.tasks += 1;
    }
    txn.commit().await?;
    Ok(report)
}

/// One demo account per role; returns (user name, role, password) for each. Existing demo
/// accounts get a new password, so the printed ones always work.
pub async fn demo_users(state: &AppState) -> AppResult<Vec<(String, Role, String)>> {
    let actor = command_line_actor();
    let accounts = [
        ("demo.admin", Role::Admin, None, "Quản trị hệ thống (demo)"),
        ("demo.secretariat", Role::Secretariat, Some("MOST"), "Cơ quan thường trực (demo)"),
        ("demo.chair", Role::Chair, None, "Tổ trưởng (demo)"),
        ("demo.officer.most", Role::MinistryOfficer, Some("MOST"), "Cán bộ đầu mối Bộ KH&CN (demo)"),
        ("demo.officer.mof", Role::MinistryOfficer, Some("MOF"), "Cán bộ đầu mối Bộ Tài chính (demo)"),
        ("demo.observer", Role::Observer, None, "Quan sát viên (demo)"),
    ];
    let mut out = Vec::new();
    for (username, role, ministry, display) in accounts {
        let password = generate_password();
        let existing = user::Entity::find().filter(user::Column::Username.eq(username)).one(&state.db).await?;
        match existing {
            Some(u) => {
                let hash = state.passwords.hash(password.clone()).await?;
                user::ActiveModel { id: Set(u.id), password_hash: Set(hash), active: Set(true), ..Default::default() }
                    .update(&state.db)
                    .await?;
            }
            None => {
                let input = UserInput {
                    username: username.into(),
                    display_name: Some(display.into()),
                    role,
                    ministry_code: ministry.map(Into::into),
                    ministry_id: None,
                    password: password.clone(),
                };
                users::create_user(state, &actor, input).await?;
            }
        }
        out.push((username.to_owned(), role, password));
    }
    Ok(out)
}
