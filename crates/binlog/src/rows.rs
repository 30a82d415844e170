//! Row counting and decoding for rows events, given their table map.

use mysql_common::binlog::events::{
    DeleteRowsEvent, DeleteRowsEventV1, PartialUpdateRowsEvent, RowsEventData, TableMapEvent,
    UpdateRowsEvent, UpdateRowsEventV1, WriteRowsEvent, WriteRowsEventV1,
};
use mysql_common::binlog::BinlogCtx;
use mysql_common::io::ParseBuf;

use crate::event::RowsEvent;
use crate::event_type::EventType;
use crate::header::EventHeader;

/// mysql_common's view of a rows event body.
pub fn rows_event_data<'a>(
    rows: &'a RowsEvent,
    fde: &'a mysql_common::binlog::events::FormatDescriptionEvent<'a>,
) -> Result<RowsEventData<'a>, String> {
    let body = &rows.body[..];
    let ctx = BinlogCtx::new(EventHeader::LEN + body.len(), fde, rows.layout.0);
    let mut buf = ParseBuf(body);
    let e = |e: std::io::Error| e.to_string();
    Ok(match rows.layout {
        EventType::WRITE_ROWS_V1 => {
            RowsEventData::WriteRowsEventV1(buf.parse::<WriteRowsEventV1>(ctx).map_err(e)?)
        }
        EventType::UPDATE_ROWS_V1 => {
            RowsEventData::UpdateRowsEventV1(buf.parse::<UpdateRowsEventV1>(ctx).map_err(e)?)
        }
        EventType::DELETE_ROWS_V1 => {
            RowsEventData::DeleteRowsEventV1(buf.parse::<DeleteRowsEventV1>(ctx).map_err(e)?)
        }
        EventType::WRITE_ROWS => {
            RowsEventData::WriteRowsEvent(buf.parse::<WriteRowsEvent>(ctx).map_err(e)?)
        }
        EventType::UPDATE_ROWS => {
            RowsEventData::UpdateRowsEvent(buf.parse::<UpdateRowsEvent>(ctx).map_err(e)?)
        }
        EventType::DELETE_ROWS => {
            RowsEventData::DeleteRowsEvent(buf.parse::<DeleteRowsEvent>(ctx).map_err(e)?)
        }
        EventType::PARTIAL_UPDATE_ROWS => RowsEventData::PartialUpdateRowsEvent(
            buf.parse::<PartialUpdateRowsEvent>(ctx).map_err(e)?,
        ),
        other => return Err(format!("{other} is not a rows event layout")),
    })
}

/// Counts the rows of a rows event by decoding them against the table map.
pub fn count_rows(rows: &RowsEvent, tme: &TableMapEvent<'static>) -> Result<u64, String> {
    let fde = mysql_common::binlog::events::FormatDescriptionEvent::new(
        mysql_common::binlog::consts::BinlogVersion::Version4,
    );
    let data = rows_event_data(rows, &fde)?;
    let mut n = 0;
    for row in data.rows(tme) {
        row.map_err(|e| e.to_string())?;
        n += 1;
    }
    Ok(n)
}
